"""Deploying flows: ``aofctl apply`` (plan, then execute) and ``aofctl package`` (a template).

The planner is pure (desired state + observed state -> changes); the executor and the
observer talk to AWS only through :class:`~chalicelib.deploy.aws.AwsDeployClient`, which takes
its boto3 clients. Import from the module that defines a name; the webhook Lambda loads
:mod:`.registry` alone, never the compiler and the spec models that planning needs.
"""
