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


#: The words an outcome is told in, finest first. ``outcome`` above stays the coarse class
#: (resolved, escalated, failed) that alerting and the stores key on; these say what happened.
RESOLUTION_KINDS = (
    "auto-resolved",
    "resolved after approval",
    "escalated",
    "skipped",
    "paused",
    "stopped",
    "failed",
)


def resolution_of(status: str, output: Any, events: list[Any]) -> dict[str, str]:
    """``{"kind", "text"}``: what the run really did, in words that are true.

    A run a human approved is "resolved after approval", not automatic; a skip or a pause is
    reported as the human's choice, not as an escalation nobody heard of; an escalation says
    to whom and by which channel, or that nobody was paged.
    """
    nodes = (output or {}).get("nodes") or {}
    decision, by = _decision(nodes, events)
    if status == "ABORTED":
        return {"kind": "stopped", "text": "stopped before it finished (no further change was made)"}
    if status != "SUCCEEDED":
        return {"kind": "failed", "text": f"failed ({status.lower().replace('_', ' ')}); a human must look"}
    if outcome_of(status, output) == "resolved":
        if decision == "approve":
            return {"kind": "resolved after approval", "text": f"resolved after {by} approved the plan"}
        return {"kind": "auto-resolved", "text": "resolved automatically (no human approval was needed)"}
    if decision == "skip":
        return {"kind": "skipped", "text": f"remediation skipped by {by}; the incident stays with them"}
    if decision == "pause":
        return {"kind": "paused", "text": f"paused by {by} to investigate by hand; nothing was changed"}
    escalations = [e for e in events if getattr(e, "type", None) == "Escalated"]
    for event in escalations:
        details = getattr(event, "details", {}) or {}
        if details.get("reassigned_to"):
            return {
                "kind": "escalated",
                "text": f"escalated to PagerDuty escalation policy {details['reassigned_to']} (note added)",
            }
        if details.get("pagerduty_error"):
            return {"kind": "escalated", "text": f"escalation to PagerDuty failed ({details['pagerduty_error']})"}
    if escalations:
        return {"kind": "escalated", "text": "escalated: recorded in the run; PagerDuty was not told (no API key)"}
    if _ran(nodes, "escalate"):
        return {"kind": "escalated", "text": "escalated by the flow's escalate node"}
    return {"kind": "escalated", "text": "not resolved, and nobody was paged: the incident stays open in PagerDuty"}


def _decision(nodes: dict[str, Any], events: list[Any]) -> tuple[str | None, str]:
    for event in events:
        if getattr(event, "type", None) == "ApprovalDecided":
            details = getattr(event, "details", {}) or {}
            return str(details.get("decision")), str(details.get("by") or "a human")
    for record in nodes.values():
        out = (record or {}).get("output") if isinstance(record, dict) else None
        if isinstance(out, dict) and out.get("decision") in ("approve", "skip", "pause"):
            return str(out["decision"]), str(out.get("decided_by") or out.get("by") or "a human")
    return None, ""


def _ran(nodes: dict[str, Any], node_key: str) -> bool:
    record = nodes.get(node_key)
    return isinstance(record, dict) and record.get("status") == "succeeded"
