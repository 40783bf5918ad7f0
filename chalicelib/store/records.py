"""Records kept by the store, as pydantic v2 models (JSON-serialisable with ``model_dump()``).

Timestamps are ISO-8601 UTC strings (see :mod:`chalicelib.store.timeutil`); a ``datetime`` or any
ISO string given is normalised to ``2026-11-26T17:37:29.000000Z``. ``expires_at`` values are epoch
seconds. Webhook deliveries are plain dicts, stored as given.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from chalicelib.store.timeutil import to_iso, utc_now_iso


def _normalise_timestamp(value: Any) -> Any:
    # Anything else falls through to pydantic's own str check, which reports it.
    if isinstance(value, datetime | str):
        return to_iso(value)
    return value


Timestamp = Annotated[str, BeforeValidator(_normalise_timestamp)]

RunStatus = Literal["queued", "running", "waiting_approval", "succeeded", "failed", "escalated", "cancelled"]
RunOutcome = Literal["resolved", "escalated", "failed"]
ApprovalStatus = Literal["pending", "approved", "paused", "skipped", "timed_out", "cancelled"]
IdempotencyStatus = Literal["in_progress", "completed"]


def plan_hash(plan: dict[str, Any]) -> str:
    """SHA-256 of the plan's canonical JSON (sorted keys, no whitespace, UTF-8)."""
    canonical = json.dumps(plan, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class RunRecord(_Record):
    run_id: str = Field(min_length=1)
    flow: str = Field(min_length=1)
    incident_id: str | None = None
    event_id: str | None = None
    status: RunStatus = "queued"
    outcome: RunOutcome | None = None
    started_at: Timestamp = Field(default_factory=utc_now_iso)
    ended_at: Timestamp | None = None
    title: str = ""
    severity: str | None = None
    execution_arn: str | None = None
    extra: dict[str, Any] = Field(default_factory=dict)


class RunEvent(_Record):
    """One step of a run's audit trail. ``seq`` is assigned by the store (1, 2, 3... per run)."""

    type: str = Field(min_length=1)
    node_id: str | None = None
    at: Timestamp = Field(default_factory=utc_now_iso)
    details: dict[str, Any] = Field(default_factory=dict)
    seq: int = 0


class ApprovalRecord(_Record):
    """A human approval waiting on a Step Functions task token.

    ``plan_hash`` is computed from ``plan`` when left empty; a given hash that does not match the
    plan is refused, so the plan that gets executed is exactly the one that was shown.
    ``expires_at`` (epoch seconds) is the decision deadline; DynamoDB's TTL removes the item
    ``APPROVAL_RETENTION_SECONDS`` after it.
    """

    approval_id: str = Field(min_length=1)
    run_id: str
    node_id: str
    task_token: str
    plan: dict[str, Any] = Field(default_factory=dict)
    plan_hash: str = ""
    approvers: list[str] = Field(default_factory=list)
    requested_by: str | None = None
    channel: str | None = None
    message_ts: str | None = None
    thread_ts: str | None = None
    status: ApprovalStatus = "pending"
    decided_by: str | None = None
    decided_at: Timestamp | None = None
    expires_at: int
    cancel_reason: str | None = None
    created_at: Timestamp = Field(default_factory=utc_now_iso)

    @model_validator(mode="after")
    def _check_plan_hash(self) -> ApprovalRecord:
        expected = plan_hash(self.plan)
        if not self.plan_hash:
            # object.__setattr__ avoids re-running validation through validate_assignment.
            object.__setattr__(self, "plan_hash", expected)
        elif self.plan_hash != expected:
            raise ValueError("plan_hash does not match the plan")
        return self


class IdempotencyRecord(_Record):
    key: str = Field(min_length=1)
    status: IdempotencyStatus
    result: dict[str, Any] | None = None
    started_at: Timestamp
    completed_at: Timestamp | None = None
    expires_at: float
