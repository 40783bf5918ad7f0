"""Typed views of the PagerDuty REST v2 objects the product reads (unknown fields kept aside).

Plain records (:mod:`chalicelib.record`) read leniently, not pydantic models: the webhook route enriches v3 events
through this client from a cold Lambda, where pydantic's import alone costs about 50 ms. A
response missing what we need raises :class:`ServiceError` naming the object and the field.
"""

from __future__ import annotations

from typing import Any

from chalicelib.errors import ServiceError
from chalicelib.record import Record, field


def _object(data: Any, what: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise ServiceError(f"the {what} PagerDuty returned is not an object ({type(data).__name__})")
    return data


def _id(data: dict[str, Any], what: str) -> str:
    value = data.get("id")
    if not isinstance(value, str) or not value:
        raise ServiceError(f"the {what} PagerDuty returned has no id")
    return value


def _text(data: dict[str, Any], key: str) -> str | None:
    value = data.get(key)
    return value if isinstance(value, str) else None


def _rest(data: dict[str, Any], known: tuple[str, ...]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k not in known}


class Reference(Record):
    id: str
    type: str | None = None
    summary: str | None = None

    @classmethod
    def from_api(cls, data: Any, what: str = "reference") -> Reference | None:
        if data is None:
            return None
        item = _object(data, what)
        return cls(id=_id(item, what), type=_text(item, "type"), summary=_text(item, "summary"))


_INCIDENT_FIELDS = ("id", "title", "status", "urgency", "html_url", "service", "escalation_policy")


class PagerDutyIncident(Record):
    id: str
    title: str | None = None
    status: str | None = None
    urgency: str | None = None
    html_url: str | None = None
    service: Reference | None = None
    escalation_policy: Reference | None = None
    #: Every other field of the response, as PagerDuty sent it.
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_api(cls, data: Any) -> PagerDutyIncident:
        item = _object(data, "incident")
        return cls(
            id=_id(item, "incident"),
            title=_text(item, "title"),
            status=_text(item, "status"),
            urgency=_text(item, "urgency"),
            html_url=_text(item, "html_url"),
            service=Reference.from_api(item.get("service"), "incident service"),
            escalation_policy=Reference.from_api(item.get("escalation_policy"), "escalation policy"),
            extra=_rest(item, _INCIDENT_FIELDS),
        )


class Alert(Record):
    id: str
    status: str | None = None
    summary: str | None = None
    #: The alert's custom details (``body.details``; some sources put a string there: read as {}).
    details: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_api(cls, data: Any) -> Alert:
        item = _object(data, "alert")
        body = item.get("body")
        details = body.get("details") if isinstance(body, dict) else None
        return cls(
            id=_id(item, "alert"),
            status=_text(item, "status"),
            summary=_text(item, "summary"),
            details=details if isinstance(details, dict) else {},
        )


class CustomFieldValue(Record):
    name: str
    value: Any = None
    id: str | None = None
    display_name: str | None = None
    data_type: str | None = None

    @classmethod
    def from_api(cls, data: Any) -> CustomFieldValue:
        item = _object(data, "custom field")
        name = item.get("name")
        if not isinstance(name, str) or not name:
            raise ServiceError("the custom field PagerDuty returned has no name")
        return cls(
            name=name,
            value=item.get("value"),
            id=_text(item, "id"),
            display_name=_text(item, "display_name"),
            data_type=_text(item, "data_type"),
        )


class Note(Record):
    id: str
    content: str

    @classmethod
    def from_api(cls, data: Any) -> Note:
        item = _object(data, "note")
        content = item.get("content")
        return cls(id=_id(item, "note"), content=content if isinstance(content, str) else "")
