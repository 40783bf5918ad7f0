"""The storage interfaces. SQLite and DynamoDB implement each of them with the same behaviour.

Errors: a missing record on update raises :class:`chalicelib.errors.NotFound`; a conditional
write that finds a record raises :class:`chalicelib.errors.AlreadyExists` (``existing`` holds the
old record); a throttled or locked backend raises :class:`chalicelib.errors.StoreUnavailable`
(retryable); a record over the size limit raises
:class:`chalicelib.store.errors.RecordTooLarge`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from chalicelib.store.records import ApprovalRecord, IdempotencyRecord, RunEvent, RunRecord


class DeliveryStore(Protocol):
    """Inbound webhook deliveries, recorded before they are acknowledged (exactly-once)."""

    def record_delivery(self, delivery_id: str, record: dict[str, Any]) -> None:
        """Record a new delivery; raises ``AlreadyExists(existing=<old record>)`` on a repeat."""
        ...

    def update_delivery(self, delivery_id: str, **fields: Any) -> dict[str, Any]:
        """Merge ``fields`` into the stored record and return it; ``NotFound`` if absent."""
        ...

    def get_delivery(self, delivery_id: str) -> dict[str, Any] | None: ...


class RunStore(Protocol):
    """Runs and their audit trail."""

    def create_run(self, run: RunRecord) -> RunRecord:
        """Store a new run; ``AlreadyExists(existing=...)`` when the run id is taken."""
        ...

    def update_run(self, run_id: str, **fields: Any) -> RunRecord:
        """Apply ``fields`` (validated as RunRecord fields); ``NotFound`` if absent."""
        ...

    def get_run(self, run_id: str) -> RunRecord | None: ...

    def list_runs(self, flow: str | None = None, since: datetime | None = None, limit: int = 100) -> list[RunRecord]:
        """Newest first by ``started_at``; ``since`` keeps runs started at or after it."""
        ...

    def append_event(self, run_id: str, event: RunEvent) -> RunEvent:
        """Append to the run's trail; returns the event with its per-run ``seq`` (1, 2, ...)."""
        ...

    def events(self, run_id: str) -> list[RunEvent]:
        """The run's events in ``seq`` order."""
        ...

    def find_run_by_incident(self, incident_id: str) -> list[RunRecord]:
        """Runs for an incident, newest first."""
        ...


class ApprovalStore(Protocol):
    """Durable Slack approvals holding Step Functions task tokens."""

    def put_approval(self, a: ApprovalRecord) -> ApprovalRecord:
        """Create or refresh a pending approval (e.g. to add the Slack ``message_ts``).

        Raises ``ApprovalConflict`` when the stored approval is already decided.
        """
        ...

    def get_approval(self, approval_id: str) -> ApprovalRecord | None: ...

    def find_by_message(self, channel: str, message_ts: str) -> ApprovalRecord | None: ...

    def find_pending_by_run(self, run_id: str) -> list[ApprovalRecord]:
        """Approvals of the run that can still be decided (pending and not expired)."""
        ...

    def decide(self, approval_id: str, decision: str, by: str, at: datetime) -> ApprovalRecord:
        """Decide a pending, unexpired approval (conditional update) and return it.

        ``decision`` is approved|paused|skipped|timed_out. Expiry is judged by the store's
        clock, not by ``at`` (which is recorded as ``decided_at``). Otherwise raises
        ``ApprovalConflict`` (an ``ApprovalError``) whose ``existing`` is the stored record,
        or ``NotFound``. Whether ``by`` is an allowed approver is the caller's check.
        """
        ...

    def cancel(self, approval_id: str, reason: str) -> ApprovalRecord:
        """Cancel a pending approval (idempotent); ``ApprovalConflict`` if already decided."""
        ...


class MemoryStore(Protocol):
    """Agent conversation memory."""

    def append(self, agent: str, key: str, message: dict[str, Any], max_messages: int) -> None:
        """Append a message, keeping only the ``max_messages`` newest."""
        ...

    def recent(self, agent: str, key: str, limit: int) -> list[dict[str, Any]]:
        """The ``limit`` newest messages, oldest first."""
        ...


class BudgetStore(Protocol):
    """Concurrency slots and rate budgets shared across incidents."""

    def acquire_slot(self, scope: str, holder: str, limit: int, ttl_seconds: int) -> bool:
        """Atomically take one of ``limit`` slots; the same holder again refreshes its expiry."""
        ...

    def release_slot(self, scope: str, holder: str) -> None: ...

    def active_slots(self, scope: str) -> list[str]:
        """Live holders, sorted."""
        ...

    def consume(self, scope: str, key: str, limit: int, window_seconds: int) -> bool:
        """Atomically record one use under ``key`` if fewer than ``limit`` in the window.

        The same ``key`` again returns True and consumes nothing. Use one window per scope.
        """
        ...

    def usage(self, scope: str, window_seconds: int) -> int: ...


class ArtifactStore(Protocol):
    """Large outputs kept out of the Step Functions state."""

    def put_artifact(self, run_id: str, name: str, content: bytes | str, content_type: str = "application/json") -> str:
        """Store (or overwrite) an artifact; returns ``artifact://<run_id>/<name>``."""
        ...

    def get_artifact(self, ref: str) -> bytes:
        """The artifact's bytes; ``NotFound`` if absent, ``ValueError`` if ``ref`` is malformed."""
        ...

    def list_artifacts(self, run_id: str) -> list[str]:
        """References of the run's artifacts, sorted by name."""
        ...


class IdempotencyStore(Protocol):
    """Makes a retried Lambda return what the first attempt did instead of acting twice."""

    def begin(self, key: str, ttl_seconds: int) -> IdempotencyRecord | None:
        """Claim ``key`` for ``ttl_seconds``.

        Returns None when the caller now holds the key (go ahead and act), the completed record
        when the work was already done (return its result), and raises ``InProgress`` (an
        ``AlreadyExists``, retryable) while another attempt holds an unexpired claim.
        """
        ...

    def complete(self, key: str, result: dict[str, Any], ttl_seconds: int | None = None) -> IdempotencyRecord:
        """Record the result; it is honoured for ``ttl_seconds`` (default seven days)."""
        ...

    def get(self, key: str) -> IdempotencyRecord | None: ...
