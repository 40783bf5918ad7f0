"""The lifecycle Lambda: an approval that timed out, or a node that failed.

Both end the same way for the incident: no automatic action, the message says so, humans
are paged (a PagerDuty note and a Slack message with what was tried).
"""

from __future__ import annotations

from typing import Any

from ..errors import ApprovalError, NotFound
from ..integrations.slack_blocks import timed_out_blocks
from ..store import ApprovalRecord, RunEvent
from .deps import NodeDeps
from .models import LifecycleInput, NodeOutput
from .slack import approval_id_of


def _incident(event: LifecycleInput) -> str:
    incident = (event.state.get("event") or {}).get("incident") or {}
    return str(incident.get("id") or event.context.run_id)


def _page_humans(event: LifecycleInput, deps: NodeDeps, summary: str) -> None:
    client = deps.pagerduty()
    if client is not None:
        try:
            client.add_note(_incident(event), summary)
        except Exception as error:
            summary += f"\n(PagerDuty note failed: {type(error).__name__})"
    deps.notifier.post(_incident(event), "#incidents", summary, None)


def _log(deps: NodeDeps, event: LifecycleInput, kind: str, details: dict[str, Any]) -> None:
    if deps.store.runs.get_run(event.context.run_id) is not None:
        deps.store.runs.append_event(event.context.run_id, RunEvent(type=kind, node_id=event.node_id, details=details))


def handle(event: LifecycleInput, deps: NodeDeps) -> NodeOutput:
    if event.action == "approval_timed_out":
        return _approval_timed_out(event, deps)
    return _node_failed(event, deps)


def _approval_timed_out(event: LifecycleInput, deps: NodeDeps) -> NodeOutput:
    approval = _timed_out_approval(event, deps)
    if approval is not None and approval.channel and approval.message_ts:
        text = "No decision in time: not approved."
        try:
            deps.notifier.update(approval.channel, approval.message_ts, text, timed_out_blocks(text, deps.clock()))
        except Exception as error:  # paging the humans below matters more than the old message
            _log(deps, event, "SlackUpdateFailed", {"approval": approval.approval_id, "error": type(error).__name__})
    summary = (
        f"⏱️ No decision on '{event.node_id}' in time for incident {_incident(event)}: "
        "automatic remediation NOT approved. Paging a human."
    )
    _page_humans(event, deps, summary)
    _log(deps, event, "ApprovalTimedOut", {"node": event.node_id})
    output = {
        "decision": "timeout",
        "reaction": None,
        "approved": False,
        "timed_out": True,
        "approval_id": approval.approval_id if approval is not None else None,
    }
    return NodeOutput(status="timed_out", output=output)


def _timed_out_approval(event: LifecycleInput, deps: NodeDeps) -> ApprovalRecord | None:
    """The approval this timeout ends, closed so a late click changes nothing; None if a human
    decided it after all (then its message already shows the decision).

    Found by its derived id, not by "pending" look-ups: the timeout fires when the approval
    expires, and expired approvals are no longer listed as pending.
    """
    execution = event.context.execution_id or event.context.execution_name
    approval_id = approval_id_of(f"{execution}:{event.node_id}")
    record = deps.store.approvals.get_approval(approval_id)
    if record is None or record.status not in ("pending", "cancelled"):
        return None
    if record.status == "pending":
        try:
            record = deps.store.approvals.decide(approval_id, "timed_out", "timeout", deps.clock())
        except (ApprovalError, NotFound):
            # Expired already (the usual case): cancelling needs no deadline and is idempotent.
            record = deps.store.approvals.cancel(approval_id, "no decision in time")
    elif record.cancel_reason != "no decision in time":
        return None  # cancelled because a human took the incident over: nothing to show here
    return record


def _node_failed(event: LifecycleInput, deps: NodeDeps) -> NodeOutput:
    failed = {
        key: record
        for key, record in (event.state.get("nodes") or {}).items()
        if isinstance(record, dict) and "Error" in record
    }
    branch_failure = event.state.get("failure")
    if isinstance(branch_failure, dict) and "Error" in branch_failure:
        failed["parallel branch"] = branch_failure
    tried = [
        f"- {key}: {record.get('output', {}).get('action_taken')}"
        for key, record in (event.state.get("nodes") or {}).items()
        if isinstance(record, dict) and isinstance(record.get("output"), dict) and record["output"].get("action_taken")
    ]
    lines = [f"🔴 Incident {_incident(event)}: the automated response failed and needs a human."]
    for key, record in failed.items():
        lines.append(f"- {key} failed: {record.get('Error')}: {str(record.get('Cause'))[:300]}")
    if tried:
        lines.append("What was tried:")
        lines.extend(tried)
    summary = "\n".join(lines)
    _page_humans(event, deps, summary)
    _log(deps, event, "NodeFailed", {"failed": {k: v.get("Error") for k, v in failed.items()}})
    return NodeOutput(status="failed", output={"failed": list(failed)})
