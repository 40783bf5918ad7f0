"""The ports the run service works over, besides the runtime (:class:`chalicelib.runtime.base.Runtime`),
the store (:class:`chalicelib.store.Store`) and the notifier (:class:`chalicelib.nodes.notify.Notifier`).

Each has one implementation per composition root: the deployed stage's (SSM flow registry,
PagerDuty's REST API, CloudWatch EMF lines) and the embedded default's (the project's YAML, the
same REST client when a key is set, no metrics).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from ..settings import PAGERDUTY_API_KEY, resolve
from ..store.records import RunEvent, RunRecord

# Imported where used, not on the webhook route: the metrics (162 ms, Powertools with them), the
# PagerDuty REST client (23 ms).


class Pager(Protocol):
    """The part of PagerDuty's REST API an escalation uses."""

    def add_note(self, incident_id: str, content: str) -> Any: ...

    def reassign_to_escalation_policy(self, incident_id: str, policy_id: str) -> Any: ...


class Metrics(Protocol):
    def run_finished(self, run: RunRecord, events: Sequence[RunEvent], history: list[dict[str, Any]]) -> None:
        """One finished run's figures (outcome, duration, approval waits, tokens)."""
        ...


class FlowCatalog(Protocol):
    """The flows this process may start, as applied (deployed) or as loaded from YAML (embedded)."""

    def flow_for_path(self, path: str) -> str | None: ...

    def rate_limit(self, flow: str) -> dict[str, Any] | None:
        """The flow's ``rate_limit`` settings, or None when it has none."""
        ...


class NoMetrics:
    """The embedded default keeps its figures in the store (``aofctl describe``), not in CloudWatch."""

    def run_finished(self, run: RunRecord, events: Sequence[RunEvent], history: list[dict[str, Any]]) -> None:
        return None


class EmfMetrics:
    """CloudWatch embedded-metric-format lines on stdout (see :mod:`chalicelib.metrics`)."""

    def run_finished(self, run: RunRecord, events: Sequence[RunEvent], history: list[dict[str, Any]]) -> None:
        from ..metrics import emit_run_metrics  # powertools: the execution_finished Lambda only

        emit_run_metrics(run, events, history)


class FlowTable:
    """A :class:`FlowCatalog` from two plain tables (both roots build one)."""

    def __init__(self, paths: dict[str, str], rate_limits: dict[str, dict[str, Any] | None]) -> None:
        self.paths = dict(paths)  # trigger path -> flow
        self.rate_limits = dict(rate_limits)

    def flow_for_path(self, path: str) -> str | None:
        return self.paths.get(path)

    def rate_limit(self, flow: str) -> dict[str, Any] | None:
        return self.rate_limits.get(flow)


def pager_from_env(env: Mapping[str, str]) -> Pager | None:
    """PagerDuty's REST client when ``PAGERDUTY_API_KEY`` is set (``PAGERDUTY_API_URL`` honoured),
    else None: the escalation is recorded in the run and nobody is paged, which the run says."""
    if not resolve(PAGERDUTY_API_KEY, None, env):
        return None
    from ..integrations.pagerduty import PagerDutyClient

    return PagerDutyClient(env=env)
