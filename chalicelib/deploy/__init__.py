"""Deploying flows: ``aofctl apply`` (plan, then execute) and ``aofctl package`` (a template).

The planner is pure (desired state + observed state -> changes); the executor and the
observer talk to AWS only through :class:`AwsDeployClient`, which takes its boto3 clients.

Exports resolve lazily: the webhook Lambda imports :mod:`.registry` at cold start and must
not pay for the compiler and the spec models that planning needs.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "AwsDeployClient": "aws",
    "read_deployed_functions": "deployed",
    "desired_state": "desired",
    "execute": "executor",
    "Change": "model",
    "Desired": "model",
    "Observed": "model",
    "Plan": "model",
    "observe": "observer",
    "plan": "planner",
    "FlowEntry": "registry",
    "decode_registry": "registry",
    "encode_registry": "registry",
    "registry_parameter_name": "registry",
    "merge_template": "template",
    "apply_local": "local",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{module}"), name)
