"""In-memory implementations of the webhook ports (ours, not the code under test).

They behave like the real store and runtime in the ways the handlers rely on: a conditional
record that refuses a repeat, run starts idempotent on the execution name, an approval decided
at most once by a configured approver who is not the requester.
"""

from __future__ import annotations

import copy
import itertools
import json
import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from chalicelib.errors import AlreadyExists
from chalicelib.webhooks.incident import IncidentEvent
from chalicelib.webhooks.ports import Decision, MessageRef, ResolutionResult


class MemoryDeliveryLog:
    def __init__(self) -> None:
        self.records: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()

    def record(self, delivery_id: str, record: dict[str, Any]) -> None:
        with self._lock:
            if delivery_id in self.records:
                raise AlreadyExists(
                    f"delivery {delivery_id} already recorded", existing=copy.deepcopy(self.records[delivery_id])
                )
            self.records[delivery_id] = copy.deepcopy(record)

    def update(self, delivery_id: str, **fields: Any) -> None:
        with self._lock:
            self.records[delivery_id].update(copy.deepcopy(fields))


class MemoryRuns:
    """RunStarter + RunController: one run per execution name, like Step Functions."""

    def __init__(self) -> None:
        self.by_name: dict[str, str] = {}
        self.events: dict[str, dict[str, Any]] = {}  # run id -> $.event as the flow sees it
        self.incident_of: dict[str, str] = {}
        self.stopped: set[str] = set()
        self.start_calls = 0
        self.update_calls = 0
        self.fail_next_starts = 0
        self._ids = itertools.count(1)

    def start_run(self, event: IncidentEvent, execution_name: str) -> str:
        self.start_calls += 1
        if self.fail_next_starts:
            self.fail_next_starts -= 1
            raise RuntimeError("runtime unavailable")
        if execution_name in self.by_name:
            return self.by_name[execution_name]
        run_id = f"run-{next(self._ids)}"
        self.by_name[execution_name] = run_id
        # Round-trip through JSON like a Step Functions input would.
        self.events[run_id] = json.loads(json.dumps(event.to_flow_event()))
        self.incident_of[run_id] = event.incident.id
        return run_id

    def on_incident_update(self, event: IncidentEvent) -> list[str]:
        self.update_calls += 1
        affected = [
            rid for rid, iid in self.incident_of.items() if iid == event.incident.id and rid not in self.stopped
        ]
        self.stopped.update(affected)
        return sorted(affected)


@dataclass
class Approval:
    approval_id: str
    requester: str
    approvers: set[str]
    channel: str = ""
    ts: str = ""
    text: str = ""
    status: str = "pending"
    decided_by: str | None = None
    decided_at: str | None = None
    task_results: list[str] = field(default_factory=list)


class MemoryApprovals:
    """ApprovalResolver backed by a dict. It never touches Slack: what the message shows after a
    decision is checked through the app's own resolver (test_slack_webhooks)."""

    def __init__(self) -> None:
        self.approvals: dict[str, Approval] = {}
        self.calls: list[tuple[str | MessageRef, Decision, str]] = []
        self.sent_task_success: list[tuple[str, str]] = []  # (approval id, decision), "SendTaskSuccess"

    def add(self, approval: Approval) -> Approval:
        self.approvals[approval.approval_id] = approval
        return approval

    def resolve(self, target: str | MessageRef, decision: Decision, user_id: str, at: datetime) -> ResolutionResult:
        self.calls.append((target, decision, user_id))
        approval = self._find(target)
        if approval is None:
            return ResolutionResult(applied=False, message="This approval no longer exists.")
        if approval.status != "pending":
            return ResolutionResult(applied=False, message=f"Already {approval.status} by <@{approval.decided_by}>.")
        if user_id == approval.requester:
            return ResolutionResult(applied=False, message="You cannot approve your own request.")
        if user_id not in approval.approvers:
            return ResolutionResult(applied=False, message="You are not an approver for this incident.")
        approval.status, approval.decided_by, approval.decided_at = decision, user_id, at.isoformat()
        self.sent_task_success.append((approval.approval_id, decision))
        return ResolutionResult(applied=True, message=f"Recorded: {decision}.", approval={"id": approval.approval_id})

    def _find(self, target: str | MessageRef) -> Approval | None:
        if isinstance(target, MessageRef):
            return next((a for a in self.approvals.values() if (a.channel, a.ts) == (target.channel, target.ts)), None)
        return self.approvals.get(target)
