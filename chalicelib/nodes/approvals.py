"""Resolve an approval exactly once, from Slack (buttons, reactions) or from a terminal."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..errors import ApprovalError, NotFound
from ..store import ApprovalRecord, Store

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
) -> Resolution:
    """Record the decision (once), then hand it to the waiting execution."""
    if decision not in DECISIONS:
        return Resolution(False, f"unknown decision {decision!r}; use approve, pause or skip", {})
    record = store.approvals.get_approval(approval_id)
    if record is None:
        return Resolution(False, f"no approval {approval_id}", {})
    if record.status != "pending":
        who = record.decided_by or record.cancel_reason or "the system"
        return Resolution(False, f"already {record.status} by {who} at {record.decided_at}", record.model_dump())
    if record.requested_by and record.requested_by == by:
        return Resolution(False, "nobody may approve their own request", record.model_dump())
    if allowed is not None and not allowed(record, by):
        return Resolution(False, f"{by} is not an allowed approver for this incident", record.model_dump())
    try:
        decided = store.approvals.decide(approval_id, DECISIONS[decision], by, at)
    except ApprovalError as error:
        return Resolution(False, error.message, getattr(error, "existing", {}))
    except NotFound:
        return Resolution(False, f"no approval {approval_id}", {})
    store.runs.append_event(
        decided.run_id,
        _event("ApprovalDecided", decided.node_id, {"decision": decision, "by": by, "plan_hash": decided.plan_hash}),
    )
    send_task_success(decided.task_token, json.dumps(decision_document(decided, decision, by, at)))
    if on_decided is not None:
        on_decided(decided, decision, by, at)
    return Resolution(True, f"{DECISIONS[decision]} by {by}", decided.model_dump())


def _event(kind: str, node_id: str, details: dict[str, Any]) -> Any:
    from ..store import RunEvent

    return RunEvent(type=kind, node_id=node_id, details=details)
