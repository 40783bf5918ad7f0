"""What callers see of an execution (shared by both runtime backends).

Plain dataclasses: the webhook routes start and describe executions from a cold Lambda, where
pydantic's import alone would cost more than the route.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

Status = Literal["QUEUED", "RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"]


@dataclass
class ExecutionDescription:
    execution_id: str  # the execution ARN on Step Functions
    name: str
    state_machine: str  # flow / state machine name
    status: Status
    start_date: datetime
    input: Any = None
    output: Any = None
    stop_date: datetime | None = None
    error: str | None = None
    cause: str | None = None


@dataclass
class ProgressEvent:
    """One history event as it is recorded, for live views (``aofctl run``)."""

    execution_id: str
    state_machine: str
    type: str
    timestamp: datetime
    details: dict[str, Any] = field(default_factory=dict)
