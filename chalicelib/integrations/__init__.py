"""Typed wrappers for the outside services: Slack, PagerDuty and Kubernetes.

One module per service, so that reading one never loads another's SDK (the webhook routes
import ``pagerduty_objects`` and must not pay for ``slack_sdk.WebClient``):

- ``chalicelib.integrations.pagerduty``: ``PagerDutyClient``
- ``chalicelib.integrations.slack``: ``SlackClient``, ``IncidentThreads``, ``ThreadIndex``,
  ``ThreadRef``, ``InMemoryThreadIndex``
- ``chalicelib.integrations.slack_blocks``: ``markdown_to_blocks``, ``approval_blocks``,
  ``decided_blocks``, ``timed_out_blocks``
- ``chalicelib.integrations.kubernetes``: ``KubeOps`` (the typed operations), ``cluster_reference``
  (which cluster a run acts on), EKS access as the function's role (``kubernetes.eks``)
"""
