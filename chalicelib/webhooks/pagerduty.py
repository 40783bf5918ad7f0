"""``POST /pagerduty/webhook``: verify, size, parse, record, then start or stop runs.

Order matters: the size first (a body over the limit is not even hashed; the route refused it
from its declared length before reading it), then authentication (an unauthenticated caller
learns nothing else), then parsing, and the delivery recorded with a conditional write *before* anything is
started or answered, so a repeated event id starts nothing new (PagerDuty delivers at least once).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any, NoReturn

from chalicelib.errors import AlreadyExists, AofError
from chalicelib.record import Record
from chalicelib.webhooks.execution_names import execution_name
from chalicelib.webhooks.http import RetryLater, WebhookRequest, WebhookResponse
from chalicelib.webhooks.incident import (
    HUMAN_TAKEOVER_EVENTS,
    INCIDENT_TRIGGERED,
    IncidentEvent,
    OtherEvent,
)
from chalicelib.webhooks.limits import MAX_WEBHOOK_BYTES, check_size
from chalicelib.webhooks.pagerduty_auth import PagerDutyAuthConfig, verify
from chalicelib.webhooks.pagerduty_body import parse_body
from chalicelib.webhooks.ports import DeliveryLog, Enricher, RunController, RunStarter

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = MAX_WEBHOOK_BYTES
#: Delivery states; only ``done`` makes a repeat a pure duplicate (see ``_claim``).
RECEIVED, DONE, FAILED = "received", "done", "failed"


class PagerDutyWebhookDeps(Record):
    auth: PagerDutyAuthConfig
    deliveries: DeliveryLog
    runs: RunStarter
    controller: RunController
    enricher: Enricher | None = None
    max_body_bytes: int = MAX_BODY_BYTES


def handle_pagerduty_webhook(request: WebhookRequest, deps: PagerDutyWebhookDeps) -> WebhookResponse:
    try:
        check_size(request.body, deps.max_body_bytes)
        method = verify(request, deps.auth)
        event = parse_body(request.body)
        return _dispatch(event, method, deps)
    except AofError as error:
        if error.status_code >= 500:
            logger.warning("pagerduty webhook failed: %s", error.message)
        return WebhookResponse.from_error(error)


def _dispatch(event: IncidentEvent | OtherEvent, method: str, deps: PagerDutyWebhookDeps) -> WebhookResponse:
    existing = _claim(event, method, deps.deliveries)
    if existing is not None and existing.get("status") == DONE:
        return WebhookResponse(200, {**_answer(existing), "event_id": event.event_id, "duplicate": True})
    if isinstance(event, OtherEvent) or event.event_type not in {INCIDENT_TRIGGERED, *HUMAN_TAKEOVER_EVENTS}:
        deps.deliveries.update(event.event_id, status=DONE, outcome="ignored")
        return WebhookResponse(
            202, {"event_id": event.event_id, "ignored": True, "event_type": event.event_type, "duplicate": False}
        )
    if event.event_type == INCIDENT_TRIGGERED:
        return _start(event, deps)
    return _stop(event, deps)


def _claim(event: IncidentEvent | OtherEvent, method: str, deliveries: DeliveryLog) -> dict[str, Any] | None:
    """Record the delivery; on a repeat return the earlier record.

    A repeat whose first attempt never finished (crashed, or failed and asked PagerDuty to
    retry) is processed again: that is safe because run starts are idempotent on the execution
    name and stopping runs is idempotent too, and it is the only way such a delivery is not lost.
    """
    record: dict[str, Any] = {
        "source": "pagerduty",
        "event_type": event.event_type,
        "status": RECEIVED,
        "auth": method,
        "received_at": datetime.now(UTC).isoformat(),
    }
    if isinstance(event, IncidentEvent):
        record["incident_id"] = event.incident.id
    try:
        deliveries.record(event.event_id, record)
    except AlreadyExists as repeat:
        return dict(repeat.existing)
    return None


def _start(event: IncidentEvent, deps: PagerDutyWebhookDeps) -> WebhookResponse:
    event = _enrich(event, deps)
    name = execution_name(event.incident.id, event.event_id)
    try:
        run_id = deps.runs.start_run(event, name)
    except Exception as error:
        deps.deliveries.update(event.event_id, status=FAILED, error=_describe(error), execution_name=name)
        _raise_retryable(error, "could not start the run")
    deps.deliveries.update(event.event_id, status=DONE, run_id=run_id, execution_name=name)
    return WebhookResponse(
        202, {"event_id": event.event_id, "run_id": run_id, "execution_name": name, "duplicate": False}
    )


def _stop(event: IncidentEvent, deps: PagerDutyWebhookDeps) -> WebhookResponse:
    try:
        stopped = deps.controller.on_incident_update(event)
    except Exception as error:
        deps.deliveries.update(event.event_id, status=FAILED, error=_describe(error))
        _raise_retryable(error, "could not stop the incident's runs")
    deps.deliveries.update(event.event_id, status=DONE, stopped_runs=list(stopped))
    return WebhookResponse(202, {"event_id": event.event_id, "stopped_runs": list(stopped), "duplicate": False})


def _enrich(event: IncidentEvent, deps: PagerDutyWebhookDeps) -> IncidentEvent:
    if deps.enricher is None:
        return event
    try:
        enriched = deps.enricher.enrich(event)
    except Exception as error:  # enrichment is best effort: never lose the delivery
        logger.warning("enrichment failed for %s: %s", event.event_id, type(error).__name__)
        enriched = event.with_custom_details({}, (f"enricher raised {type(error).__name__}",))
    if enriched.enrichment_errors:
        deps.deliveries.update(event.event_id, enrichment_errors=list(enriched.enrichment_errors))
    return enriched


def _answer(existing: dict[str, Any]) -> dict[str, Any]:
    keys = ("run_id", "execution_name", "stopped_runs")
    answer = {key: existing[key] for key in keys if key in existing}
    if existing.get("outcome") == "ignored":
        answer["ignored"] = True
    return answer


def _describe(error: Exception) -> str:
    return error.message if isinstance(error, AofError) else type(error).__name__


def _raise_retryable(error: Exception, what: str) -> NoReturn:
    if isinstance(error, AofError):
        raise error
    raise RetryLater(f"{what}; the delivery is recorded and a retry will resume it") from error
