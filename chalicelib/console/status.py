"""Each state's status, input, output, error and attempts, read from an execution's history
(Step Functions' ``GetExecutionHistory`` shape, which the embedded engine also writes).

The statuses are the Step Functions console's: not started, running, succeeded, failed,
caught (it failed and a Catch took the run on) and, for a ``.waitForTaskToken`` task (an
approval in this product), waiting.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal

Status = Literal["not-started", "running", "waiting", "succeeded", "failed", "caught"]
STATUSES: tuple[Status, ...] = ("not-started", "running", "waiting", "succeeded", "failed", "caught")
LABELS = {
    "not-started": "not started",
    "running": "running",
    "waiting": "waiting for approval",
    "succeeded": "succeeded",
    "failed": "failed",
    "caught": "caught",
}
_ENDED = ("ExecutionFailed", "ExecutionAborted", "ExecutionTimedOut")


@dataclass
class StateRun:
    """What one state did in the execution (its last visit, with attempts over all visits)."""

    name: str
    status: Status = "not-started"
    entered_at: str | None = None
    exited_at: str | None = None
    input: Any = None
    output: Any = None
    error: str | None = None
    cause: str | None = None
    attempts: int = 0
    visits: int = 0
    failed_attempt: bool = field(default=False, repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": self.status,
            "label": LABELS[self.status],
            "entered_at": self.entered_at,
            "exited_at": self.exited_at,
            "input": self.input,
            "output": self.output,
            "error": self.error,
            "cause": self.cause,
            "attempts": self.attempts,
            "visits": self.visits,
        }


def _value(text: Any) -> Any:
    if not isinstance(text, str):
        return text
    try:
        return json.loads(text)
    except ValueError:
        return text


def _details(item: dict[str, Any]) -> dict[str, Any]:
    for key, value in item.items():
        if key.endswith("EventDetails") and isinstance(value, dict):
            return value
    return {}


def state_runs(history: list[dict[str, Any]]) -> dict[str, StateRun]:
    """State name -> what it did; states never entered are absent (not started)."""
    states: dict[str, StateRun] = {}
    current: StateRun | None = None
    for item in history:
        kind = str(item.get("type", ""))
        details = _details(item)
        at = str(item.get("timestamp") or "") or None
        if kind.endswith("StateEntered"):
            name = str(details.get("name", ""))
            current = states.setdefault(name, StateRun(name))
            current.status, current.entered_at, current.exited_at = "running", at, None
            current.input, current.output, current.error, current.cause = _value(details.get("input")), None, None, None
            current.visits += 1
            current.failed_attempt = False
            continue
        if current is None:
            continue
        if kind == "TaskScheduled":
            current.attempts += 1
            current.status, current.failed_attempt = "running", False
        elif kind == "TaskSubmitted":
            current.status = "waiting"  # a task token handed out: the run waits for a decision
        elif kind in ("TaskFailed", "TaskTimedOut"):
            current.error, current.cause = details.get("error") or kind, details.get("cause")
            current.failed_attempt = True
        elif kind in ("TaskSucceeded",):
            current.failed_attempt = False
            current.error = current.cause = None
        elif kind.endswith("StateExited"):
            current.output, current.exited_at = _value(details.get("output")), at
            current.status = "caught" if current.failed_attempt else "succeeded"
        elif kind in _ENDED:
            if current.status in ("running", "waiting"):
                current.status = "failed"
                current.error = current.error or details.get("error") or kind
                current.cause = current.cause or details.get("cause")
    return states


def statuses(history: list[dict[str, Any]]) -> dict[str, Status]:
    return {name: run.status for name, run in state_runs(history).items()}
