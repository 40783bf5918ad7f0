"""The ``Slack`` node: a message in the incident's thread, or an approval that waits for a human.

An approval stores its task token with the plan it covers (and that plan's hash), the allowed
approvers and an expiry, then posts the message with Approve / Pause / Skip buttons. The
tutorial's reactions (✅ ⏸️ ❌) resolve it too. The Lambda returns at once; the execution
waits on the token until a decision or its timeout.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

from ..errors import ConfigurationError
from ..expr import parse_template
from ..integrations.slack_blocks import approval_blocks, mark, markdown_to_blocks
from ..policy.plan import planned_changes
from ..settings import SLACK_APPROVERS, is_deployed, resolve
from ..store import ApprovalRecord, RunEvent
from .deps import NodeDeps
from .models import NodeInput, NodeOutput
from .scope import StateScope

DEFAULT_TIMEOUT_SECONDS = 600


def render_message(event: NodeInput, deps: NodeDeps) -> str:
    """The message with each spliced value marked as data (``slack_blocks.mark``): the flow
    author's markdown renders, an incident title's markup or link does not."""
    # No environment here: a secret referenced in a Slack message reads as missing, never leaks.
    scope = StateScope(event.state, env=None, now=deps.clock(), started_at=event.context.started_at or None)
    return parse_template(str(event.node.config.get("message", ""))).render_encoded(scope, mark).text


def incident_id(event: NodeInput) -> str:
    incident = (event.state.get("event") or {}).get("incident") or {}
    return str(incident.get("id") or event.context.run_id or "unknown")


def approval_id_for(event: NodeInput) -> str:
    """Derived from the execution and node: a retried Lambda finds the approval it created."""
    return approval_id_of(event.idempotency_key)


def approval_id_of(idempotency_key: str) -> str:
    """``execution:node`` -> approval id; the lifecycle Lambda finds a timed-out approval by it."""
    return hashlib.sha256(idempotency_key.encode()).hexdigest()[:20]


def plan_of(event: NodeInput) -> dict[str, Any]:
    """What the approval covers: every proposed action upstream, and the incident."""
    proposals = {}
    for key, record in (event.state.get("nodes") or {}).items():
        output = record.get("output") if isinstance(record, dict) else None
        if isinstance(output, dict) and output.get("recommended_action"):
            proposals[key] = output["recommended_action"]
    variables = event.state.get("vars") or {}

    plan: dict[str, Any] = {
        "incident": incident_id(event),
        "proposed_actions": proposals,
        "namespace": variables.get("K8S_NAMESPACE"),
        "resource": variables.get("K8S_RESOURCE"),
    }
    # Exactly what approving allows, as the policy reads it from the proposals: shown to the
    # approver and bound by the plan's hash. Prose cannot widen it beyond what the approver saw
    # (a plan saying "do not run X" lists X here, and the approver can decline).
    plan["changes"] = [c.describe() for c in planned_changes(plan)]
    return plan


def approvers_of(event: NodeInput, deps: NodeDeps) -> list[str]:
    configured = [str(a) for a in event.node.config.get("approvers") or []]
    if configured:
        return configured
    from_env = resolve(SLACK_APPROVERS, None, deps.env) or ""
    return [a.strip() for a in from_env.split(",") if a.strip()]


def _unguarded(event: NodeInput, deps: NodeDeps) -> None:
    """No approver list: a configuration error in a deployed stage, a loud warning locally."""
    message = (
        f"approval node '{event.node.id}' has no approvers: anyone in the channel can approve; "
        f"list them in the node's 'approvers' or {SLACK_APPROVERS}"
    )
    if is_deployed(deps.env):
        raise ConfigurationError(message)
    if deps.out is not None:
        print(f"WARNING: {message}", file=deps.out)
    if deps.store.runs.get_run(event.context.run_id) is not None:
        deps.store.runs.append_event(
            event.context.run_id,
            RunEvent(type="Warning", node_id=event.node.id, details={"message": message, "unguarded_approval": True}),
        )


def handle(event: NodeInput, deps: NodeDeps) -> NodeOutput:
    text = render_message(event, deps)
    channel = str(event.node.config.get("channel", "#incidents"))
    waits = bool(event.node.config.get("wait_for_reaction")) or event.node.type == "Approval"
    if not waits:
        text += human_decision_line(event)
        channel_id, ts = deps.notifier.post(incident_id(event), channel, text, _blocks(text))
        return NodeOutput(status="succeeded", output={"channel": channel_id, "ts": ts, "thread_ts": ts})
    return _request_approval(event, deps, text, channel)


def human_decision_line(event: NodeInput) -> str:
    """The product's own line under a message posted after a human decided an approval.

    A flow's message is its author's text (the tutorial's success message says "Resolved
    automatically" whatever happened before it); the thread must still not claim a change nobody
    approved, nor hide one that somebody did. Empty when no approval was decided upstream.
    """
    for record in (event.state.get("nodes") or {}).values():
        output = record.get("output") if isinstance(record, dict) else None
        if not isinstance(output, dict) or output.get("timed_out"):
            continue
        decision, by = output.get("decision"), str(output.get("decided_by") or "a human")
        if decision == "approve":
            return f"\n\n_{mark(by)} approved this change in the thread; it was not applied automatically._"
        if decision in ("skip", "pause"):
            return f"\n\n_{mark(by)} chose to {decision} the remediation; nothing was changed automatically._"
    return ""


def _blocks(text: str) -> list[dict[str, Any]] | None:
    return markdown_to_blocks(text)


def allows_text(plan: dict[str, Any]) -> str:
    """The changes approving allows, one a line (data, never markup)."""
    changes = [str(c) for c in plan.get("changes") or []]
    if not changes:
        return "\n\n**Approving allows no change**: the proposal names no command the policy can read."
    return "\n\n**Approving allows exactly these changes, nothing else**:\n" + "\n".join(
        f"• {mark(c)}" for c in changes
    )


def _request_approval(event: NodeInput, deps: NodeDeps, text: str, channel: str) -> NodeOutput:
    if not event.task_token:
        raise ValueError(f"approval node '{event.node.id}' was invoked without a task token")
    approval_id = approval_id_for(event)
    now = deps.clock()
    timeout = int(event.node.config.get("timeout_seconds") or DEFAULT_TIMEOUT_SECONDS)
    approvers = approvers_of(event, deps)
    if not approvers:
        _unguarded(event, deps)
    existing = deps.store.approvals.get_approval(approval_id)
    record = ApprovalRecord(
        approval_id=approval_id,
        run_id=event.context.run_id,
        node_id=event.node.id,
        task_token=event.task_token,
        plan=plan_of(event),
        approvers=approvers,
        requested_by="aof",
        channel=existing.channel if existing else None,
        message_ts=existing.message_ts if existing else None,
        expires_at=int((now + timedelta(seconds=timeout)).timestamp()),
    )
    deps.store.approvals.put_approval(record)
    if existing is None or not existing.message_ts:
        shown = text + allows_text(record.plan)
        footer = f"\n\nApproval id: {approval_id} (or from a terminal: aofctl approve {event.context.run_id} --decision approve|pause|skip)"
        channel_id, ts = deps.notifier.post(
            incident_id(event), channel, shown + footer, approval_blocks(shown, approval_id)
        )
        record = record.replace(channel=channel_id, message_ts=ts)
        deps.store.approvals.put_approval(record)
    return NodeOutput(
        status="waiting",
        output={"approval_id": approval_id, "channel": record.channel, "ts": record.message_ts},
    )
