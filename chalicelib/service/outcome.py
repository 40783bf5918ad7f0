"""What a finished run means for the incident: resolved automatically, or handed to a human."""

from __future__ import annotations

from typing import Any, Literal

Outcome = Literal["resolved", "escalated", "failed"]


def outcome_of(status: str, output: Any) -> Outcome:
    """Resolved only when the run closed the incident (an HTTP node resolved it in PagerDuty).

    Anything else (a skipped or refused remediation, a rollback, a timeout) leaves the
    incident with a human, which is what "escalated" means; a failed execution is "failed".
    """
    if status != "SUCCEEDED":
        return "failed"
    nodes = (output or {}).get("nodes") or {}
    for record in nodes.values():
        if isinstance(record, dict) and (record.get("meta") or {}).get("resolved_incident"):
            return "resolved"
    return "escalated"


def severity_of(output: Any) -> str | None:
    for record in ((output or {}).get("nodes") or {}).values():
        value = (record.get("output") or {}).get("severity") if isinstance(record, dict) else None
        if isinstance(value, str):
            return value
    return None
