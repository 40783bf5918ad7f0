"""The story of one run, from its audit trail: alert, diagnosis with its evidence, approvals,
each change with its dry run and snapshot, verification, rollback, resolution.

The run store's events are the source; the execution's node records (when the runtime still
has them) add the steps that write no event of their own (Slack messages, the PagerDuty call).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..store import RunEvent, RunRecord

WRITE_KINDS = ("write", "destructive")


@dataclass
class TimelineEntry:
    at: str
    kind: str  # alert|diagnosis|approval|change|verification|rollback|failure|takeover|step|resolution
    title: str
    node_id: str | None = None
    details: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"at": self.at, "kind": self.kind, "title": self.title, "node_id": self.node_id, "details": self.details}


def _short(value: Any, limit: int = 300) -> str:
    text = str(value).strip().replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _command(call: dict[str, Any]) -> str:
    raw = call.get("input") or {}
    if isinstance(raw, dict) and raw.get("command"):
        return str(raw["command"])
    return f"{call.get('name')} {_short(raw, 160)}"


def _agent_role(event: RunEvent) -> str:
    node = (event.node_id or "").lower()
    output = event.details.get("output") or {}
    if "rollback" in node:
        return "rollback"
    if "verify" in node or "verif" in node:
        return "verification"
    if isinstance(output, dict) and ("action_taken" in output or "rollback_needed" in output):
        return "change"
    return "diagnosis"


def _evidence(calls: list[dict[str, Any]]) -> list[str]:
    lines = []
    for call in calls:
        if call.get("action_kind") in WRITE_KINDS:
            continue
        status = "ok" if call.get("ok") else f"error: {_short(call.get('error'), 120)}"
        lines.append(f"evidence: `{_short(_command(call), 160)}` ({status})")
    return lines


def _readable(value: Any, limit: int = 300) -> str:
    """A value as a person writes it: ``key: value; key: value``, lists with commas, no
    Python braces or quotes."""

    def words(item: Any) -> str:
        if isinstance(item, dict):
            return "; ".join(f"{k}: {words(v)}" for k, v in item.items() if v not in (None, "", [], {}))
        if isinstance(item, list | tuple):
            return ", ".join(words(v) for v in item)
        return str(item)

    return _short(words(value), limit)


def _step_details(event: RunEvent) -> tuple[str, list[str]]:
    """The title and lines of an audit event that has no entry of its own."""
    d = event.details
    change = d.get("change") or d.get("action")
    if event.type == "ChangeSnapshot":
        saved = f"saved as {d['ref']}" if d.get("ref") else "kept with the run"
        lines = [f"snapshot of the object before `{change}`: {saved}"]
        if d.get("dry_run"):
            lines.append(f"dry run: {d['dry_run']}")
        return "Snapshot taken", lines
    if event.type == "PolicyAllowed":
        return "Allowed by policy", [
            f"`{change}` ({d.get('kind', 'change')})" + (f": {d['why']}" if d.get("why") else "")
        ]
    if event.type == "PolicyDenied":
        return "Refused by policy", [f"`{change}`: {_short(d.get('reason', ''), 200)}"]
    if event.type == "PolicyEffect":
        effects = [
            f"`{e.get('change')}` would change {', '.join(e.get('fields') or []) or 'nothing recorded'}"
            for e in d.get("effects") or []
            if isinstance(e, dict)
        ]
        return "What the change would touch", effects or [f"`{change}`"]
    if event.type == "ChangeMonitoring":
        watched = ", ".join(f"`{c}`" for c in d.get("changes") or [])
        return "Watching the change", [
            f"{watched} for {float(d.get('seconds') or 0):g}s: kept if healthy, rolled back if not"
        ]
    if event.type in ("ChangeMonitored", "ChangeRolledBack"):
        if event.type == "ChangeRolledBack" or d.get("rolled_back"):
            verdict = "health did not return; rolled back from the snapshot"
        elif d.get("healthy"):
            verdict = "healthy after the watch; kept"
        else:
            verdict = f"still unhealthy, not rolled back ({_short(d.get('rollback', ''), 160)})"
        lines = [f"`{change}`: {verdict}"]
        if d.get("evidence"):
            lines.append(f"evidence: {_short(d['evidence'], 200)}")
        return "Change watched", lines
    return event.type, [_readable(d)] if d else []


def _changes(calls: list[dict[str, Any]], snapshots: dict[str, str] | None = None) -> list[str]:
    lines = []
    for call in calls:
        command = _command(call)
        if "--dry-run" in command:
            status = "passed" if call.get("ok") else f"refused: {_short(call.get('error'), 160)}"
            lines.append(f"dry run: `{_short(command, 160)}` {status}")
            continue
        if call.get("action_kind") not in WRITE_KINDS:
            continue
        if call.get("refused"):
            lines.append(f"refused by policy: `{_short(command, 160)}` ({_short(call.get('error'), 160)})")
            continue
        status = "applied" if call.get("ok") else f"failed: {_short(call.get('error'), 160)}"
        lines.append(f"change: `{_short(command, 160)}` {status}")
        snapshot = call.get("snapshot")
        if snapshot:
            kind = snapshot.get("kind", "object") if isinstance(snapshot, dict) else "object"
            name = (snapshot.get("metadata") or {}).get("name", "") if isinstance(snapshot, dict) else ""
            version = (snapshot.get("metadata") or {}).get("resourceVersion", "") if isinstance(snapshot, dict) else ""
            lines.append(f"snapshot taken before the change: {kind} {name} (resourceVersion {version or '?'})")
        else:
            # The snapshot may be recorded as an audit event of its own (ChangeSnapshot).
            ref = next((r for c, r in (snapshots or {}).items() if command.endswith(c)), None)
            lines.append(f"snapshot taken before the change: {ref}" if ref else "snapshot: none recorded")
    return lines


def _agent_entry(event: RunEvent, snapshots: dict[str, str] | None = None) -> TimelineEntry:
    role = _agent_role(event)
    output = event.details.get("output") or {}
    calls = list(event.details.get("tool_calls") or [])
    agent = event.details.get("agent", "agent")
    details: list[str] = []
    if role == "diagnosis":
        title = f"Diagnosis by {agent}: severity {output.get('severity', '?')}"
        details.append(f"root cause: {_short(output.get('root_cause', 'unknown'))}")
        if output.get("impact"):
            details.append(f"impact: {_short(output['impact'])}")
        details.append(f"recommended: {_short(output.get('recommended_action', 'none'))}")
        if "confidence" in output:
            details.append(f"confidence: {output['confidence']}")
        details.extend(_evidence(calls))
    elif role == "verification":
        title = f"Verification by {agent}"
        details.append(f"finding: {_readable(output.get('root_cause') or output.get('text') or output)}")
        details.extend(_evidence(calls))
    else:
        label = "Rollback" if role == "rollback" else "Change"
        title = f"{label} by {agent}: {output.get('action_taken', 'none')} -> {output.get('result', '?')}"
        changes = _changes(calls, snapshots)
        details.extend(changes or ["no change was made to the cluster"])
        if output.get("verification"):
            details.append(f"health check: {_short(output['verification'], 200)}")
    if event.details.get("fallback_used"):
        details.append(f"answered by {event.details['fallback_used']} (fallback)")
    return TimelineEntry(event.at, role, title, event.node_id, details)


def _approval_entry(event: RunEvent) -> TimelineEntry:
    d = event.details
    if event.type == "ApprovalTimedOut":
        return TimelineEntry(event.at, "approval", "Approval timed out: not approved, humans paged", event.node_id)
    title = f"Approval: {d.get('decision')} by {d.get('by')}"
    return TimelineEntry(event.at, "approval", title, event.node_id, [f"plan sha256 {d.get('plan_hash', '?')}"])


def build_timeline(run: RunRecord, events: list[RunEvent], nodes: dict[str, Any] | None = None) -> list[TimelineEntry]:
    """Entries in the order they happened (the store's ``seq`` order)."""
    entries: list[TimelineEntry] = []
    snapshots = {
        str(e.details.get("change")): str(e.details.get("ref") or "kept with the run")
        for e in events
        if e.type == "ChangeSnapshot" and e.details.get("change")
    }
    for event in events:
        if event.type == "RunStarted":
            title = f"Alert: {run.incident_id or '?'} {run.title}".rstrip()
            entries.append(TimelineEntry(event.at, "alert", title, None, [f"flow {run.flow}, run {run.run_id}"]))
        elif event.type == "AgentCall":
            entries.append(_agent_entry(event, snapshots))
        elif event.type in ("ApprovalDecided", "ApprovalTimedOut"):
            entries.append(_approval_entry(event))
        elif event.type == "NodeFailed":
            failed = event.details.get("failed") or {}
            text = ", ".join(f"{k}: {v}" for k, v in failed.items()) or "a node failed"
            entries.append(TimelineEntry(event.at, "failure", f"Failure: {text}", event.node_id))
        elif event.type == "HumanTookOver":
            kind = event.details.get("event_type", "")
            entries.append(TimelineEntry(event.at, "takeover", f"A human took over ({kind})", event.node_id))
        elif event.type == "RunFinished":
            entries.append(_resolution(run, event, nodes or {}))
        else:
            title, lines = _step_details(event)
            entries.append(TimelineEntry(event.at, "step", title, event.node_id, lines))
    return entries


def _resolution(run: RunRecord, event: RunEvent, nodes: dict[str, Any]) -> TimelineEntry:
    outcome = event.details.get("outcome") or run.outcome
    label = {
        "resolved": "Resolved automatically",
        "escalated": "Escalated to a human",
        "failed": "Failed: escalated to a human",
    }.get(str(outcome), str(outcome))
    details = []
    for key, record in nodes.items():
        if isinstance(record, dict) and (record.get("meta") or {}).get("resolved_incident"):
            details.append(f"incident resolved in PagerDuty by {key.replace('_', '-')}")
    skipped = [k.replace("_", "-") for k, r in nodes.items() if isinstance(r, dict) and r.get("status") == "skipped"]
    if skipped:
        details.append("skipped: " + ", ".join(skipped))
    return TimelineEntry(event.at, "resolution", label, None, details)


def path_taken(nodes: dict[str, Any], events: list[RunEvent]) -> set[str]:
    """Keys (``-`` written as ``_``, as the node records have them) of the nodes the run went through."""
    taken = {e.node_id for e in events if e.node_id}
    for key, record in nodes.items():
        if isinstance(record, dict) and record.get("status") not in ("skipped", None):
            taken.add(key)
        elif isinstance(record, dict) and "Error" in record:
            taken.add(key)
    return {node_key(t) for t in taken if t}


def node_key(node_id: str) -> str:
    return node_id.replace("-", "_")
