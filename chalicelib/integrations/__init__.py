"""Typed wrappers for the outside services: Slack, PagerDuty and Kubernetes.

Public surface (imported lazily so that reading one module never loads another's SDK: the
webhook routes import ``pagerduty_objects`` and must not pay for ``slack_sdk.WebClient``):

- ``chalicelib.integrations.pagerduty``: ``PagerDutyClient``
- ``chalicelib.integrations.slack``: ``SlackClient``, ``IncidentThreads``, ``ThreadIndex``,
  ``ThreadRef``, ``InMemoryThreadIndex``
- ``chalicelib.integrations.slack_blocks``: ``markdown_to_blocks``, ``approval_blocks``,
  ``decided_blocks``, ``timed_out_blocks``
- ``chalicelib.integrations.kubernetes``: ``KubeOps`` (the typed operations), ``cluster_reference``
  (which cluster a run acts on), EKS access as the function's role (``kubernetes.eks``)
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "PagerDutyClient": "pagerduty",
    "SlackClient": "slack",
    "IncidentThreads": "slack",
    "ThreadIndex": "slack",
    "ThreadRef": "slack",
    "InMemoryThreadIndex": "slack",
    "markdown_to_blocks": "slack_blocks",
    "approval_blocks": "slack_blocks",
    "decided_blocks": "slack_blocks",
    "timed_out_blocks": "slack_blocks",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
