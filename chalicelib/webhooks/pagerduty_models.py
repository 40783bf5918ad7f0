"""Wire models for the two PagerDuty body shapes, with the events' own field names.

- Generic Webhooks v3: ``{"event": {"id", "event_type", "occurred_at", "agent", "data": {...}}}``
- the AOF tutorial's test body: ``{"event": {"incident": {"id", "title", "service": {"name"},
  "urgency", "html_url", "custom_details"}}}``

Unknown fields are ignored on purpose: PagerDuty adds fields to its payloads over time and a
webhook must not start failing when it does.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from chalicelib.errors import BadRequest
from chalicelib.webhooks.incident import (
    HUMAN_TAKEOVER_EVENTS,
    INCIDENT_TRIGGERED,
    Agent,
    Incident,
    IncidentEvent,
    OtherEvent,
    ServiceRef,
)

#: A webhook body is a handful of levels deep; anything far deeper is hostile or broken.
MAX_NESTING = 64
_ID = Field(min_length=1, max_length=256)
M = TypeVar("M", bound=BaseModel)
#: Event types the handler acts on: their data must be an incident.
_REQUIRE_INCIDENT = frozenset({INCIDENT_TRIGGERED, *HUMAN_TAKEOVER_EVENTS})


class _Wire(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class V3Reference(_Wire):
    id: str | None = None
    summary: str | None = None
    type: str | None = None
    html_url: str | None = None


class V3Incident(_Wire):
    id: str = _ID
    type: str = "incident"
    title: str
    status: str | None = None
    urgency: str | None = None
    html_url: str | None = None
    service: V3Reference | None = None
    escalation_policy: V3Reference | None = None


class V3Event(_Wire):
    id: str = _ID
    event_type: str = Field(min_length=1, max_length=128)
    resource_type: str | None = None
    occurred_at: str | None = None
    agent: V3Reference | None = None
    data: dict[str, Any] = Field(default_factory=dict)


class V3Envelope(_Wire):
    event: V3Event


class TutorialService(_Wire):
    name: str | None = None
    id: str | None = None


class TutorialIncident(_Wire):
    id: str = _ID
    title: str
    service: TutorialService = Field(default_factory=TutorialService)
    urgency: str | None = None
    html_url: str | None = None
    status: str | None = None
    custom_details: dict[str, Any] = Field(default_factory=dict)


class TutorialEvent(_Wire):
    incident: TutorialIncident


class TutorialEnvelope(_Wire):
    event: TutorialEvent


def parse_body(body: bytes) -> IncidentEvent | OtherEvent:
    """Parse a raw webhook body into an event; :class:`BadRequest` names what is wrong."""
    document = _load_json(body)
    event = document.get("event") if isinstance(document, dict) else None
    if not isinstance(event, dict):
        raise BadRequest("body must be a JSON object with an 'event' object", field="event")
    if "incident" in event and "event_type" not in event:
        tutorial = _validate(TutorialEnvelope, document)
        return _from_tutorial(tutorial, document)
    return _from_v3(_validate(V3Envelope, document))


def _load_json(body: bytes) -> Any:
    try:
        document = json.loads(body)
    except RecursionError:
        raise BadRequest("body is nested too deeply") from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise BadRequest(f"body is not valid JSON: {exc}") from None
    if _depth(document) > MAX_NESTING:
        raise BadRequest(f"body is nested more than {MAX_NESTING} levels deep")
    return document


def _depth(document: Any) -> int:
    # Iterative on purpose: a recursive walk is exactly what a hostile body would overflow.
    deepest = 0
    stack: list[tuple[Any, int]] = [(document, 1)]
    while stack:
        node, level = stack.pop()
        deepest = max(deepest, level)
        if deepest > MAX_NESTING:
            return deepest
        if isinstance(node, dict):
            stack.extend((child, level + 1) for child in node.values())
        elif isinstance(node, list):
            stack.extend((child, level + 1) for child in node)
    return deepest


def _validate(model: type[M], document: Any, prefix: str = "") -> M:
    try:
        return model.model_validate(document)
    except ValidationError as exc:
        problems = [
            f"{prefix}{'.'.join(str(part) for part in error['loc']) or '<body>'}: {error['msg']}"
            for error in exc.errors(include_url=False, include_input=False)
        ]
        raise BadRequest("invalid PagerDuty event: " + "; ".join(problems), problems=problems) from None


def _from_tutorial(envelope: TutorialEnvelope, document: Any) -> IncidentEvent:
    wire = envelope.event.incident
    return IncidentEvent(
        event_id=derived_event_id(document),
        event_type=INCIDENT_TRIGGERED,
        incident=Incident(
            id=wire.id,
            title=wire.title,
            service=ServiceRef(name=wire.service.name, id=wire.service.id),
            urgency=wire.urgency,
            html_url=wire.html_url,
            status=wire.status or "triggered",
            custom_details=wire.custom_details,
        ),
        source_shape="tutorial",
    )


def _from_v3(envelope: V3Envelope) -> IncidentEvent | OtherEvent:
    event = envelope.event
    if event.data.get("type") != "incident":
        if event.event_type in _REQUIRE_INCIDENT:
            raise BadRequest(
                f"invalid PagerDuty event: event.data.type: {event.event_type} needs incident data",
                problems=["event.data.type: expected 'incident'"],
            )
        return OtherEvent(event_id=event.id, event_type=event.event_type)
    data = _validate(V3Incident, event.data, prefix="event.data.")
    agent = event.agent
    return IncidentEvent(
        event_id=event.id,
        event_type=event.event_type,
        incident=Incident(
            id=data.id,
            title=data.title,
            service=ServiceRef(
                name=data.service.summary if data.service else None,
                id=data.service.id if data.service else None,
            ),
            urgency=data.urgency,
            html_url=data.html_url,
            status=data.status,
            escalation_policy_id=data.escalation_policy.id if data.escalation_policy else None,
        ),
        agent=Agent(id=agent.id, summary=agent.summary, type=agent.type) if agent else None,
        occurred_at=event.occurred_at,
        source_shape="v3",
    )


def derived_event_id(document: Any) -> str:
    """A stable id for a body that carries none: sha256 of its canonical JSON."""
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return "sha256-" + hashlib.sha256(canonical.encode("ascii")).hexdigest()[:40]
