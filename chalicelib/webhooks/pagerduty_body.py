"""The two PagerDuty body shapes, checked by hand and turned into :class:`IncidentEvent`.

- Generic Webhooks v3: ``{"event": {"id", "event_type", "occurred_at", "agent", "data": {...}}}``
- the AOF tutorial's test body: ``{"event": {"incident": {"id", "title", "service": {"name"},
  "urgency", "html_url", "custom_details"}}}``

Unknown fields are ignored on purpose: PagerDuty adds fields to its payloads over time and a
webhook must not start failing when it does.

No pydantic here (the webhook route's cold start must not pay for it): :class:`_Fields` reads
one JSON object and collects every problem as ``"<dotted.path>: <message>"``, in pydantic's
wording, so a bad body is refused once with everything that is wrong with it.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

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
from chalicelib.webhooks.text import without_lone_surrogates

#: A webhook body is a handful of levels deep; anything far deeper is hostile or broken.
MAX_NESTING = 64
#: Ids (event and incident) are 1..256 characters; event types 1..128.
MAX_ID = 256
MAX_EVENT_TYPE = 128
#: Event types the handler acts on: their data must be an incident.
_REQUIRE_INCIDENT = frozenset({INCIDENT_TRIGGERED, *HUMAN_TAKEOVER_EVENTS})

FIELD_REQUIRED = "Field required"
NOT_A_STRING = "Input should be a valid string"
NOT_AN_OBJECT = "Input should be a valid dictionary"


class _Fields:
    """Reads the fields of one JSON object at ``path``, appending problems to a shared list.

    A field with a problem reads as ``""``/``None``: callers build nothing until they have
    checked that ``problems`` is still empty.
    """

    def __init__(self, data: dict[str, Any], path: str, problems: list[str]) -> None:
        self.data = data
        self.path = path
        self.problems = problems

    def problem(self, key: str, message: str) -> None:
        self.problems.append(f"{self.path}.{key}: {message}")

    def text(self, key: str, *, min_length: int = 0, max_length: int | None = None) -> str:
        """A required string of ``min_length``..``max_length`` characters."""
        if key not in self.data:
            self.problem(key, FIELD_REQUIRED)
            return ""
        value = self.data[key]
        if not isinstance(value, str):
            self.problem(key, NOT_A_STRING)
            return ""
        if len(value) < min_length:
            self.problem(key, f"String should have at least {_characters(min_length)}")
        elif max_length is not None and len(value) > max_length:
            self.problem(key, f"String should have at most {_characters(max_length)}")
        return value

    def optional_text(self, key: str) -> str | None:
        """A string, or None when absent or null."""
        value = self.data.get(key)
        if value is None or isinstance(value, str):
            return value
        self.problem(key, NOT_A_STRING)
        return None

    def mapping(self, key: str, *, nullable: bool) -> dict[str, Any] | None:
        """An object (as a shallow copy), or None when absent (or null, if ``nullable``)."""
        if key not in self.data:
            return None
        value = self.data[key]
        if value is None and nullable:
            return None
        if not isinstance(value, dict):
            self.problem(key, NOT_AN_OBJECT)
            return None
        return dict(value)

    def nested(self, key: str, *, nullable: bool) -> _Fields | None:
        """The object at ``key`` as its own reader (None when absent, null or not an object)."""
        value = self.mapping(key, nullable=nullable)
        return None if value is None else _Fields(value, f"{self.path}.{key}", self.problems)


def _characters(count: int) -> str:
    return f"{count} character" if count == 1 else f"{count} characters"


def _reference(fields: _Fields | None) -> tuple[str | None, str | None, str | None]:
    """A v3 reference object (``agent``, ``service``, ``escalation_policy``): id, summary, type."""
    if fields is None:
        return None, None, None
    reference = fields.optional_text("id"), fields.optional_text("summary"), fields.optional_text("type")
    fields.optional_text("html_url")
    return reference


def _refuse(problems: list[str]) -> BadRequest:
    return BadRequest("invalid PagerDuty event: " + "; ".join(problems), problems=problems)


def parse_body(body: bytes) -> IncidentEvent | OtherEvent:
    """Parse a raw webhook body into an event; :class:`BadRequest` names what is wrong."""
    document = _load_json(body)
    event = document.get("event") if isinstance(document, dict) else None
    if not isinstance(event, dict):
        raise BadRequest("body must be a JSON object with an 'event' object", field="event")
    if "incident" in event and "event_type" not in event:
        return _from_tutorial(event, document)
    return _from_v3(event)


def _load_json(body: bytes) -> Any:
    try:
        document = json.loads(body)
    except RecursionError:
        raise BadRequest("body is nested too deeply") from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise BadRequest(f"body is not valid JSON: {exc}") from None
    if _depth(document) > MAX_NESTING:
        raise BadRequest(f"body is nested more than {MAX_NESTING} levels deep")
    return without_lone_surrogates(document)  # after the depth check: the walk recurses


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


def _from_tutorial(event: dict[str, Any], document: Any) -> IncidentEvent:
    problems: list[str] = []
    wire = _Fields(event, "event", problems).nested("incident", nullable=False)
    if wire is None:
        raise _refuse(problems)
    incident_id = wire.text("id", min_length=1, max_length=MAX_ID)
    title = wire.text("title")
    service = wire.nested("service", nullable=False)
    service_name = service.optional_text("name") if service else None
    service_id = service.optional_text("id") if service else None
    urgency = wire.optional_text("urgency")
    html_url = wire.optional_text("html_url")
    status = wire.optional_text("status")
    custom_details = wire.mapping("custom_details", nullable=False) or {}
    if problems:
        raise _refuse(problems)
    return IncidentEvent(
        event_id=derived_event_id(document),
        event_type=INCIDENT_TRIGGERED,
        incident=Incident(
            id=incident_id,
            title=title,
            service=ServiceRef(name=service_name, id=service_id),
            urgency=urgency,
            html_url=html_url,
            status=status or "triggered",
            custom_details=custom_details,
        ),
        source_shape="tutorial",
    )


def _from_v3(event: dict[str, Any]) -> IncidentEvent | OtherEvent:
    problems: list[str] = []
    wire = _Fields(event, "event", problems)
    event_id = wire.text("id", min_length=1, max_length=MAX_ID)
    event_type = wire.text("event_type", min_length=1, max_length=MAX_EVENT_TYPE)
    wire.optional_text("resource_type")
    occurred_at = wire.optional_text("occurred_at")
    agent = wire.nested("agent", nullable=True)
    agent_ref = _reference(agent)
    data = wire.nested("data", nullable=False) or _Fields({}, "event.data", problems)
    incident = _v3_incident(data) if data.data.get("type") == "incident" else None
    if problems:
        raise _refuse(problems)
    if incident is None:
        if event_type in _REQUIRE_INCIDENT:
            raise BadRequest(
                f"invalid PagerDuty event: event.data.type: {event_type} needs incident data",
                problems=["event.data.type: expected 'incident'"],
            )
        return OtherEvent(event_id=event_id, event_type=event_type)
    agent_id, agent_summary, agent_type = agent_ref
    return IncidentEvent(
        event_id=event_id,
        event_type=event_type,
        incident=incident,
        agent=Agent(id=agent_id, summary=agent_summary, type=agent_type) if agent else None,
        occurred_at=occurred_at,
        source_shape="v3",
    )


def _v3_incident(data: _Fields) -> Incident:
    """The incident in a v3 event's ``data`` (only meaningful if no problem was found)."""
    incident_id = data.text("id", min_length=1, max_length=MAX_ID)
    title = data.text("title")
    status = data.optional_text("status")
    urgency = data.optional_text("urgency")
    html_url = data.optional_text("html_url")
    service_id, service_summary, _ = _reference(data.nested("service", nullable=True))
    policy_id, _, _ = _reference(data.nested("escalation_policy", nullable=True))
    return Incident(
        id=incident_id,
        title=title,
        service=ServiceRef(name=service_summary, id=service_id),
        urgency=urgency,
        html_url=html_url,
        status=status,
        escalation_policy_id=policy_id,
    )


def derived_event_id(document: Any) -> str:
    """A stable id for a body that carries none: sha256 of its canonical JSON."""
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return "sha256-" + hashlib.sha256(canonical.encode("ascii")).hexdigest()[:40]
