"""The webhook routes' lines: a delivery received, then what came of it (a run started, a
repeat deduplicated, runs stopped, ignored, refused), with the incident it is about."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from ..webhooks.pagerduty_body import parse_body

# The standard-library writer (see .lines): the routes do not pay for importing Powertools.
logger = logging.getLogger(__name__)


def incident_in(body: bytes) -> dict[str, str]:
    """``incident_id`` and ``event_id`` of an accepted PagerDuty delivery, read with the route's
    own parser; empty for a body it cannot read. Only called once the route has authenticated
    and accepted the delivery, so what it logs was sent by PagerDuty."""
    try:
        event = parse_body(body)
    except Exception:  # the route's answer already says what was wrong with it
        return {}
    incident = getattr(event, "incident", None)
    fields = {"event_id": str(event.event_id), "event_type": str(event.event_type)}
    if incident is not None:
        fields["incident_id"] = str(incident.id)
    return fields


def log_received(route: str, size: int) -> None:
    logger.info("webhook received", extra={"route": route, "bytes": size})


def log_answer(route: str, status: int, body: Mapping[str, Any], fields: Mapping[str, str]) -> None:
    """One line for what the route answered (a refusal at WARNING, with the error's name)."""
    extra: dict[str, Any] = {"route": route, "status": status, **fields}
    if status >= 400:
        logger.warning("webhook refused", extra={**extra, "error": str(body.get("error") or "")})
        return
    if body.get("duplicate"):
        message = "webhook deduplicated"
    elif body.get("ignored"):
        message = "webhook ignored"
    elif body.get("run_id"):
        message = "run started"
    elif "stopped_runs" in body:
        message = "runs stopped"
        extra["stopped_runs"] = list(body.get("stopped_runs") or [])
    else:
        message = "webhook answered"
    if body.get("run_id"):
        extra["run_id"] = str(body["run_id"])
    logger.info(message, extra=extra)
