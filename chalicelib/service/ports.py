"""The webhook handlers' ports implemented with the store and an execution starter.

Shared by ``app.py`` (cloud) and ``aofctl serve`` (embedded): only ``start`` and
``send_task_success`` differ between the two. A human's takeover is the run service's
(:meth:`chalicelib.service.runs.RunService.on_incident_update`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..errors import AlreadyExists
from ..settings import PAGERDUTY_API_KEY, SLACK_APPROVERS, resolve
from ..webhooks.enrichment import PagerDutyEnricher
from ..webhooks.ports import MessageRef, ResolutionResult

if TYPE_CHECKING:
    from ..store import ApprovalRecord, Store
    from ..webhooks.incident import IncidentEvent
    from ..webhooks.ports import Enricher

# Imported where used, not on the webhook route: the PagerDuty REST client (23 ms), the approval
# node (6 ms).

#: The webhook answers while PagerDuty waits: enrichment gets short timeouts and few retries
#: (a 429 is still retried once); what it cannot read lands in ``enrichment_errors``.
ENRICH_TIMEOUT_SECONDS = 4.0
ENRICH_RETRIES = 1
ENRICH_MAX_RETRY_AFTER = 2.0


class StoreDeliveryLog:
    def __init__(self, store: Store) -> None:
        self.store = store

    def record(self, delivery_id: str, record: dict[str, Any]) -> None:
        self.store.deliveries.record_delivery(delivery_id, record)

    def update(self, delivery_id: str, **fields: Any) -> None:
        self.store.deliveries.update_delivery(delivery_id, **fields)


class FlowRunStarter:
    """Starts the flow whose trigger path received the event; idempotent on the execution name."""

    def __init__(self, start: Callable[[str, dict[str, Any], str], str], flow: str) -> None:
        self._start = start
        self.flow = flow

    def start_run(self, event: IncidentEvent, execution_name: str) -> str:
        try:
            return self._start(self.flow, event.to_flow_event(), execution_name)
        except AlreadyExists:
            # A concurrent repeat of the same delivery is creating this run right now (the run
            # id is the execution name): that run is the answer, and nothing starts twice.
            return execution_name


class StoreApprovalResolver:
    def __init__(
        self,
        store: Store,
        send_task_success: Callable[[str, str], None],
        env: Mapping[str, str],
        on_decided: Callable[[ApprovalRecord, str, str, datetime], None] | None = None,
    ) -> None:
        self.store = store
        self.send_task_success = send_task_success
        self.default_approvers = [
            a.strip() for a in (resolve(SLACK_APPROVERS, None, env) or "").split(",") if a.strip()
        ]
        self.on_decided = on_decided

    def allowed(self, record: ApprovalRecord, user: str) -> bool:
        approvers = record.approvers or self.default_approvers
        return not approvers or user in approvers

    def resolve(
        self, target: str | MessageRef, decision: Any, user_id: str, at: datetime, caller: str | None = None
    ) -> ResolutionResult:
        if isinstance(target, MessageRef):
            record = self.store.approvals.find_by_message(target.channel, target.ts)
            if record is None:
                return ResolutionResult(applied=False, message="that message is not an approval request")
            approval_id = record.approval_id
        else:
            approval_id = target
        from ..nodes.approvals import resolve_approval  # the Slack routes only, not the webhook

        result = resolve_approval(
            self.store,
            self.send_task_success,
            approval_id,
            str(decision),
            user_id,
            at,
            allowed=self.allowed,
            on_decided=self.on_decided,
            caller=caller,
        )
        return ResolutionResult(applied=result.applied, message=result.message, approval=result.approval)


class V3OnlyEnricher:
    """Enrich only v3 deliveries: the tutorial's shape carries its own ``custom_details``, and
    its incident ids (``TEST001``) need not exist in PagerDuty."""

    def __init__(self, inner: Enricher) -> None:
        self.inner = inner

    def enrich(self, event: IncidentEvent) -> IncidentEvent:
        return self.inner.enrich(event) if event.source_shape == "v3" else event


def pagerduty_enricher(env: Mapping[str, str]) -> Enricher | None:
    """The REST enricher when ``PAGERDUTY_API_KEY`` is set (``PAGERDUTY_API_URL`` honoured), else None."""
    if not resolve(PAGERDUTY_API_KEY, None, env):
        return None
    from ..integrations.pagerduty import PagerDutyClient

    client = PagerDutyClient(
        env=env,
        timeout=ENRICH_TIMEOUT_SECONDS,
        max_retries=ENRICH_RETRIES,
        max_retry_after=ENRICH_MAX_RETRY_AFTER,
    )
    return V3OnlyEnricher(PagerDutyEnricher(client))
