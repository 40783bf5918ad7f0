"""Resolve an approval exactly once, from Slack (buttons, reactions) or from a terminal."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..errors import ApprovalError, NotFound
from ..integrations.slack_blocks import decided_blocks, mark
from ..store import ApprovalRecord, RunEvent, Store

logger = logging.getLogger(__name__)

DECISIONS = {"approve": "approved", "pause": "paused", "skip": "skipped"}
REACTIONS = {"approve": "white_check_mark", "pause": "double_vertical_bar", "skip": "x"}


@dataclass
class Resolution:
    applied: bool
    message: str
    approval: dict[str, Any]


def decision_document(record: ApprovalRecord, decision: str, by: str, at: datetime) -> dict[str, Any]:
    """What the waiting task receives: the approval node's output, as the flow reads it."""
    return {
        "status": "succeeded",
        "output": {
            "decision": decision,
            "reaction": REACTIONS[decision],
            "approved": decision == "approve",
            "decided_by": by,
            "decided_at": at.isoformat(),
            "approval_id": record.approval_id,
            "timed_out": False,
        },
        "meta": {"plan_hash": record.plan_hash},
    }


def resolve_approval(
    store: Store,
    send_task_success: Callable[[str, str], None],
    approval_id: str,
    decision: str,
    by: str,
    at: datetime,
    *,
    allowed: Callable[[ApprovalRecord, str], bool] | None = None,
    on_decided: Callable[[ApprovalRecord, str, str, datetime], None] | None = None,
    caller: str | None = None,
) -> Resolution:
    """Record the decision (once), then hand it to the waiting execution.

    ``caller`` is who is really at the keyboard when that is known apart from ``by`` (the OS
    user behind ``aofctl approve``); the audit trail keeps both.
    """
    if decision not in DECISIONS:
        return Resolution(False, f"unknown decision {decision!r}; use approve, pause or skip", {})
    record = store.approvals.get_approval(approval_id)
    if record is None:
        return Resolution(False, f"no approval {approval_id}", {})
    if record.status != "pending":
        who = record.decided_by or record.cancel_reason or "the system"
        return Resolution(False, f"already {record.status} by {who} at {record.decided_at}", record.to_dict())
    if record.requested_by and record.requested_by == by:
        return Resolution(False, "nobody may approve their own request", record.to_dict())
    if allowed is not None and not allowed(record, by):
        return Resolution(False, f"{by} is not an allowed approver for this incident", record.to_dict())
    try:
        decided = store.approvals.decide(approval_id, DECISIONS[decision], by, at)
    except ApprovalError as error:
        return Resolution(False, error.message, getattr(error, "existing", {}))
    except NotFound:
        return Resolution(False, f"no approval {approval_id}", {})
    details: dict[str, Any] = {"decision": decision, "by": by, "plan_hash": decided.plan_hash}
    if caller:
        details["caller"] = caller
    if not decided.approvers:
        details["unguarded"] = True  # no approver list: anyone could have decided; said, not silent
    store.runs.append_event(decided.run_id, _event("ApprovalDecided", decided.node_id, details))
    send_task_success(decided.task_token, json.dumps(decision_document(decided, decision, by, at)))
    if on_decided is not None:
        on_decided(decided, decision, by, at)
    return Resolution(True, f"{DECISIONS[decision]} by {by}", decided.to_dict())


def _event(kind: str, node_id: str, details: dict[str, Any]) -> RunEvent:
    return RunEvent(type=kind, node_id=node_id, details=details)


OnDecided = Callable[[ApprovalRecord, str, str, datetime], None]


def decision_summary(record: ApprovalRecord) -> str:
    """What was decided on, from the stored plan (the exact plan the decision covers)."""
    # Every value here came from the incident or an agent: marked, so it renders as text only.
    plan = record.plan
    lines = [f"**Approval for incident {mark(str(plan.get('incident') or record.run_id))}**"]
    if plan.get("resource") or plan.get("namespace"):
        lines.append(
            f"**Target**: {mark(str(plan.get('resource') or '?'))} in {mark(str(plan.get('namespace') or '?'))}"
        )
    for node, action in (plan.get("proposed_actions") or {}).items():
        lines.append(f"**Proposed ({mark(str(node))})**: {mark(str(action))}")
    return "\n".join(lines)


def show_decision(notifier: Callable[[], Any]) -> OnDecided:
    """``on_decided`` for :func:`resolve_approval`: the approval message loses its buttons and
    shows who decided what and when. ``notifier`` is called only when a message needs updating,
    so building a Slack client costs nothing on refused clicks."""

    def update(record: ApprovalRecord, decision: str, by: str, at: datetime) -> None:
        if not (record.channel and record.message_ts) or decision not in DECISIONS:
            return
        text = decision_summary(record)
        fallback = (
            f"{DECISIONS[decision].capitalize()} by {by}: incident {record.plan.get('incident') or record.run_id}"
        )
        try:
            notifier().update(record.channel, record.message_ts, fallback, decided_blocks(text, decision, by, at))  # type: ignore[arg-type]
        except Exception as error:  # the decision stands (the run goes on) even if Slack cannot be updated now
            logger.warning("approval %s: message not updated (%s)", record.approval_id, type(error).__name__)

    return update
