"""Behaviour both backends share, kept as pure functions so the two cannot drift."""

from __future__ import annotations

from typing import Any

from chalicelib.errors import NotFound
from chalicelib.store.errors import ApprovalConflict, ArtifactTooLarge
from chalicelib.store.records import ApprovalRecord, RunRecord
from chalicelib.store.timeutil import to_iso

#: Decisions ``ApprovalStore.decide`` accepts; ``cancelled`` goes through ``cancel``.
DECISIONS = frozenset({"approved", "paused", "skipped", "timed_out"})

#: A webhook delivery is remembered this long; PagerDuty retries for far less.
DELIVERY_RETENTION_SECONDS = 30 * 24 * 3600

#: A completed idempotency record is honoured this long unless ``complete`` says otherwise.
IDEMPOTENCY_RETENTION_SECONDS = 7 * 24 * 3600

#: DynamoDB deletes an approval (TTL) this long after its decision deadline, ``expires_at``.
APPROVAL_RETENTION_SECONDS = 30 * 24 * 3600

#: Budget uses are remembered at least this long (or the window, if longer), so a repeated
#: idempotency key is recognised even after its use has left a short window.
BUDGET_MIN_RETENTION_SECONDS = 24 * 3600

MAX_ARTIFACT_BYTES = 16 * 1024 * 1024
ARTIFACT_SCHEME = "artifact://"


# --- deliveries -----------------------------------------------------------------------------


def delivery_not_found(delivery_id: str) -> NotFound:
    return NotFound(f"no webhook delivery {delivery_id!r}", delivery_id=delivery_id)


# --- runs -------------------------------------------------------------------------------------


def updated_run(run: RunRecord, fields: dict[str, Any]) -> RunRecord:
    """``run`` with ``fields`` applied and validated; the run id cannot change."""
    if "run_id" in fields and fields["run_id"] != run.run_id:
        raise ValueError("run_id cannot be changed")
    return run.replace(**fields)


def run_not_found(run_id: str) -> NotFound:
    return NotFound(f"no run {run_id!r}", run_id=run_id)


# --- approvals --------------------------------------------------------------------------------


def approval_not_found(approval_id: str) -> NotFound:
    return NotFound(f"no approval {approval_id!r}", approval_id=approval_id)


def check_decidable(record: ApprovalRecord, now: float) -> None:
    """Raise :class:`ApprovalConflict` unless ``record`` is pending and not expired at ``now``."""
    if record.status != "pending":
        who = f" by {record.decided_by}" if record.decided_by else ""
        when = f" at {record.decided_at}" if record.decided_at else ""
        raise ApprovalConflict(
            f"approval {record.approval_id} is already {record.status}{who}{when}",
            existing=record.to_dict(),
        )
    if record.expires_at <= now:
        raise ApprovalConflict(
            f"approval {record.approval_id} expired at epoch {record.expires_at}",
            existing=record.to_dict(),
        )


def decided(record: ApprovalRecord, decision: str, by: str, at: Any) -> ApprovalRecord:
    if decision not in DECISIONS:
        raise ValueError(f"decision must be one of {sorted(DECISIONS)}, not {decision!r}")
    return record.replace(status=decision, decided_by=by, decided_at=to_iso(at))


def check_replaceable(existing: ApprovalRecord | None, new: ApprovalRecord) -> None:
    """``put_approval`` may refresh a pending approval, never reopen a decided one."""
    if existing is not None and existing.status != "pending":
        raise ApprovalConflict(
            f"approval {new.approval_id} is already {existing.status}; it cannot be put again",
            existing=existing.to_dict(),
        )


def cancelled(record: ApprovalRecord, reason: str) -> ApprovalRecord | None:
    """The cancelled record, or None when it already was cancelled (cancel is idempotent)."""
    if record.status == "cancelled":
        return None
    if record.status != "pending":
        raise ApprovalConflict(
            f"approval {record.approval_id} is already {record.status}; it cannot be cancelled",
            existing=record.to_dict(),
        )
    return record.replace(status="cancelled", cancel_reason=reason)


# --- budgets ----------------------------------------------------------------------------------


def check_positive(**values: int) -> None:
    for name, value in values.items():
        if value < 1:
            raise ValueError(f"{name} must be at least 1, not {value}")


def try_acquire(
    holders: dict[str, float], holder: str, limit: int, ttl_seconds: int, now: float
) -> tuple[bool, dict[str, float]]:
    """Acquire a slot among ``holders`` (holder -> expiry). Returns (granted, new holders)."""
    live = {h: exp for h, exp in holders.items() if exp > now}
    if holder in live or len(live) < limit:
        live[holder] = now + ttl_seconds
        return True, live
    return False, live


def budget_retention(window_seconds: int) -> int:
    return max(window_seconds, BUDGET_MIN_RETENTION_SECONDS)


def try_consume(
    uses: dict[str, float], key: str, limit: int, window_seconds: int, now: float
) -> tuple[bool, dict[str, float]]:
    """Record one use under ``key`` in ``uses`` (key -> epoch). Returns (allowed, new uses)."""
    kept = {k: at for k, at in uses.items() if at > now - budget_retention(window_seconds)}
    if key in kept:
        return True, kept
    if count_in_window(kept, window_seconds, now) >= limit:
        return False, kept
    kept[key] = now
    return True, kept


def count_in_window(uses: dict[str, float], window_seconds: int, now: float) -> int:
    return sum(1 for at in uses.values() if at > now - window_seconds)


# --- artifacts --------------------------------------------------------------------------------


def artifact_ref(run_id: str, name: str) -> str:
    if not run_id or "/" in run_id:
        raise ValueError(f"run id {run_id!r} must be non-empty and contain no '/'")
    if not name:
        raise ValueError("artifact name must not be empty")
    return f"{ARTIFACT_SCHEME}{run_id}/{name}"


def parse_artifact_ref(ref: str) -> tuple[str, str]:
    """``artifact://<run_id>/<name>`` -> (run_id, name); names may contain '/'."""
    if not ref.startswith(ARTIFACT_SCHEME):
        raise ValueError(f"not an artifact reference: {ref!r}")
    run_id, sep, name = ref[len(ARTIFACT_SCHEME) :].partition("/")
    if not run_id or not sep or not name:
        raise ValueError(f"artifact reference must be artifact://<run_id>/<name>: {ref!r}")
    return run_id, name


def artifact_bytes(content: bytes | str) -> bytes:
    data = content.encode("utf-8") if isinstance(content, str) else bytes(content)
    if len(data) > MAX_ARTIFACT_BYTES:
        raise ArtifactTooLarge(
            f"artifact is {len(data)} bytes, over the {MAX_ARTIFACT_BYTES} byte limit",
            size=len(data),
            limit=MAX_ARTIFACT_BYTES,
        )
    return data


def artifact_not_found(ref: str) -> NotFound:
    return NotFound(f"no artifact {ref}", ref=ref)
