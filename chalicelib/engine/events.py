"""History events in Step Functions' shape (``GetExecutionHistory``)."""

from __future__ import annotations

from typing import Any

from .clock import iso
from .store import Event


def details_key(event_type: str) -> str:
    if event_type.endswith("StateEntered"):
        return "stateEnteredEventDetails"
    if event_type.endswith("StateExited"):
        return "stateExitedEventDetails"
    return event_type[0].lower() + event_type[1:] + "EventDetails"


def to_history(events: list[Event]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for ev in events:
        item: dict[str, Any] = {
            "id": ev.id,
            "previousEventId": ev.id - 1,
            "timestamp": iso(ev.timestamp),
            "type": ev.type,
        }
        if ev.details:
            item[details_key(ev.type)] = ev.details
        out.append(item)
    return out
