"""What callers see of an execution (shared by both runtime backends)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel

Status = Literal["QUEUED", "RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"]


class ExecutionDescription(BaseModel):
    execution_id: str  # the execution ARN on Step Functions
    name: str
    state_machine: str  # flow / state machine name
    status: Status
    input: Any = None
    output: Any = None
    start_date: datetime
    stop_date: datetime | None = None
    error: str | None = None
    cause: str | None = None


class ProgressEvent(BaseModel):
    """One history event as it is recorded, for live views (``aofctl run``)."""

    execution_id: str
    state_machine: str
    type: str
    timestamp: datetime
    details: dict[str, Any] = {}
