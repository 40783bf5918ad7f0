"""Records kept by the store: immutable, checked on construction.

They are :class:`chalicelib.record.Record` classes, not pydantic models (nor dataclasses),
because the webhook routes create and read them from a cold Lambda: importing pydantic and
building its validators costs about 50 ms, more than the whole rest of the route. The checks are the few a store needs: required text is text, a
status is one of its values, unknown fields are refused, timestamps are normalised.

Timestamps are ISO-8601 UTC strings (see :mod:`chalicelib.store.timeutil`); a ``datetime`` or any
ISO string given is normalised to ``2026-11-26T17:37:29.000000Z``. ``expires_at`` values are epoch
seconds. Webhook deliveries are plain dicts, stored as given.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, Literal, Self, TypeAlias

from chalicelib.record import Record, asdict, field
from chalicelib.store.timeutil import to_iso, utc_now_iso

RunStatus = Literal["queued", "running", "waiting_approval", "succeeded", "failed", "escalated", "cancelled"]
RunOutcome = Literal["resolved", "escalated", "failed"]
ApprovalStatus = Literal["pending", "approved", "paused", "skipped", "timed_out", "cancelled"]
IdempotencyStatus = Literal["in_progress", "completed"]

RUN_STATUSES = ("queued", "running", "waiting_approval", "succeeded", "failed", "escalated", "cancelled")
RUN_OUTCOMES = ("resolved", "escalated", "failed")
APPROVAL_STATUSES = ("pending", "approved", "paused", "skipped", "timed_out", "cancelled")
IDEMPOTENCY_STATUSES = ("in_progress", "completed")

#: What a timestamp field accepts; it always holds the normalised string after construction.
Timestamp: TypeAlias = str


class RecordError(ValueError):
    """A record was given a value it cannot hold; the message names the record and the field."""


def plan_hash(plan: dict[str, Any]) -> str:
    """SHA-256 of the plan's canonical JSON (sorted keys, no whitespace, UTF-8)."""
    canonical = json.dumps(plan, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class _Record(Record, kw_only=True):
    """Shared behaviour: construction from and to plain dicts (what the stores keep as JSON)."""

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """A record from its stored dict; unknown fields are refused, not dropped."""
        if not isinstance(data, Mapping):
            raise RecordError(f"{cls.__name__}: expected an object, got {type(data).__name__}")
        known = set(cls._fields)
        unknown = sorted(set(data) - known)
        if unknown:
            raise RecordError(f"{cls.__name__}: unknown field(s) {', '.join(map(repr, unknown))}")
        try:
            return cls(**data)
        except TypeError as exc:  # a required field is missing
            raise RecordError(f"{cls.__name__}: {exc}") from None

    def to_dict(self) -> dict[str, Any]:
        """A deep copy as plain JSON-serialisable values."""
        return asdict(self)

    def replace(self, **fields: Any) -> Self:
        """A copy with ``fields`` changed, checked like a new record."""
        return self.from_dict({**self.to_dict(), **fields})

    # --- checks, called from each record's __post_init__ ---------------------------------------

    def _fail(self, name: str, message: str) -> RecordError:
        return RecordError(f"{type(self).__name__}.{name}: {message}")

    def _set(self, name: str, value: Any) -> None:
        # Frozen: normalising a value at construction goes around the record's __setattr__.
        object.__setattr__(self, name, value)

    def _text(self, *names: str, optional: bool = False, min_length: int = 0) -> None:
        for name in names:
            value = getattr(self, name)
            if value is None and optional:
                continue
            if not isinstance(value, str):
                raise self._fail(name, f"must be a string, not {type(value).__name__}")
            if len(value) < min_length:
                raise self._fail(name, "must not be empty")

    def _choice(self, name: str, allowed: Iterable[str], optional: bool = False) -> None:
        value = getattr(self, name)
        if (value is None and optional) or value in tuple(allowed):
            return
        raise self._fail(name, f"must be one of {', '.join(allowed)}; got {value!r}")

    def _timestamp(self, *names: str, optional: bool = False) -> None:
        for name in names:
            value = getattr(self, name)
            if value is None and optional:
                continue
            if not isinstance(value, datetime | str):
                raise self._fail(name, f"must be an ISO-8601 timestamp, not {type(value).__name__}")
            try:
                self._set(name, to_iso(value))
            except ValueError:
                raise self._fail(name, f"is not an ISO-8601 timestamp: {value!r}") from None

    def _object(self, *names: str, optional: bool = False) -> None:
        for name in names:
            value = getattr(self, name)
            if not (isinstance(value, dict) or (value is None and optional)):
                raise self._fail(name, f"must be an object, not {type(value).__name__}")

    def _number(self, name: str, kind: type[int] | type[float], optional: bool = False) -> None:
        value = getattr(self, name)
        if value is None and optional:
            return
        # bool is an int to Python, never a count or an epoch to us.
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self._fail(name, f"must be a number, not {type(value).__name__}")
        if kind is int and isinstance(value, float):
            if not value.is_integer():
                raise self._fail(name, f"must be a whole number, not {value}")
            value = int(value)
        self._set(name, kind(value))


class RunRecord(_Record, kw_only=True):
    run_id: str
    flow: str
    incident_id: str | None = None
    event_id: str | None = None
    status: RunStatus = "queued"
    outcome: RunOutcome | None = None
    started_at: Timestamp = field(default_factory=utc_now_iso)
    ended_at: Timestamp | None = None
    title: str = ""
    severity: str | None = None
    execution_arn: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._text("run_id", "flow", min_length=1)
        self._text("title")
        self._text("incident_id", "event_id", "severity", "execution_arn", optional=True)
        self._choice("status", RUN_STATUSES)
        self._choice("outcome", RUN_OUTCOMES, optional=True)
        self._timestamp("started_at")
        self._timestamp("ended_at", optional=True)
        self._object("extra")


class RunEvent(_Record, kw_only=True):
    """One step of a run's audit trail. ``seq`` is assigned by the store (1, 2, 3... per run)."""

    type: str
    node_id: str | None = None
    at: Timestamp = field(default_factory=utc_now_iso)
    details: dict[str, Any] = field(default_factory=dict)
    seq: int = 0

    def __post_init__(self) -> None:
        self._text("type", min_length=1)
        self._text("node_id", optional=True)
        self._timestamp("at")
        self._object("details")
        self._number("seq", int)


class ApprovalRecord(_Record, kw_only=True):
    """A human approval waiting on a Step Functions task token.

    ``plan_hash`` is computed from ``plan`` when left empty; a given hash that does not match the
    plan is refused, so the plan that gets executed is exactly the one that was shown.
    ``expires_at`` (epoch seconds) is the decision deadline; DynamoDB's TTL removes the item
    ``APPROVAL_RETENTION_SECONDS`` after it.
    """

    approval_id: str
    run_id: str
    node_id: str
    task_token: str
    plan: dict[str, Any] = field(default_factory=dict)
    plan_hash: str = ""
    approvers: list[str] = field(default_factory=list)
    requested_by: str | None = None
    channel: str | None = None
    message_ts: str | None = None
    thread_ts: str | None = None
    status: ApprovalStatus = "pending"
    decided_by: str | None = None
    decided_at: Timestamp | None = None
    expires_at: int
    cancel_reason: str | None = None
    created_at: Timestamp = field(default_factory=utc_now_iso)

    def __post_init__(self) -> None:
        self._text("approval_id", min_length=1)
        self._text("run_id", "node_id", "task_token", "plan_hash")
        self._text("requested_by", "channel", "message_ts", "thread_ts", "decided_by", "cancel_reason", optional=True)
        self._object("plan")
        if not isinstance(self.approvers, list) or not all(isinstance(a, str) for a in self.approvers):
            raise self._fail("approvers", "must be a list of strings")
        self._choice("status", APPROVAL_STATUSES)
        self._timestamp("decided_at", optional=True)
        self._timestamp("created_at")
        self._number("expires_at", int)
        expected = plan_hash(self.plan)
        if not self.plan_hash:
            self._set("plan_hash", expected)
        elif self.plan_hash != expected:
            raise self._fail("plan_hash", "does not match the plan")


class IdempotencyRecord(_Record, kw_only=True):
    key: str
    status: IdempotencyStatus
    result: dict[str, Any] | None = None
    started_at: Timestamp
    completed_at: Timestamp | None = None
    expires_at: float

    def __post_init__(self) -> None:
        self._text("key", min_length=1)
        self._choice("status", IDEMPOTENCY_STATUSES)
        self._object("result", optional=True)
        self._timestamp("started_at")
        self._timestamp("completed_at", optional=True)
        self._number("expires_at", float)
