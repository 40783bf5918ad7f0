from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from chalicelib.errors import ApprovalError, NotFound
from chalicelib.store import ApprovalConflict, ApprovalRecord, Store, plan_hash

from .conftest import START, FakeClock

PLAN = {"actions": [{"kind": "kubectl", "argv": ["scale", "deployment/api", "--replicas=3"]}]}
AT = datetime(2027, 1, 15, 8, 5, tzinfo=UTC)


def approval(approval_id: str = "ap-1", **fields: Any) -> ApprovalRecord:
    values: dict[str, Any] = {
        "approval_id": approval_id,
        "run_id": "run-1",
        "node_id": "request-approval",
        "task_token": "token-" + approval_id,
        "plan": PLAN,
        "approvers": ["U111", "S-sre"],
        "requested_by": "incident-auto-response",
        "channel": "C123",
        "message_ts": f"1700000000.{approval_id[-1]}00",
        "expires_at": int(START) + 3600,
        **fields,
    }
    return ApprovalRecord.from_dict(values)


def test_put_and_get_keep_plan_and_hash(store: Store) -> None:
    put = store.approvals.put_approval(approval())

    loaded = store.approvals.get_approval("ap-1")

    assert loaded == put
    assert loaded is not None and loaded.plan == PLAN and loaded.plan_hash == plan_hash(PLAN)
    assert store.approvals.get_approval("nope") is None


def test_find_by_message(store: Store) -> None:
    store.approvals.put_approval(approval("ap-1", message_ts="111.000"))
    store.approvals.put_approval(approval("ap-2", message_ts="222.000"))
    store.approvals.put_approval(approval("ap-3", channel=None, message_ts=None))

    found = store.approvals.find_by_message("C123", "222.000")

    assert found is not None and found.approval_id == "ap-2"
    assert store.approvals.find_by_message("C999", "222.000") is None


def test_message_ts_can_be_added_after_posting(store: Store) -> None:
    store.approvals.put_approval(approval(channel=None, message_ts=None))
    store.approvals.put_approval(approval(message_ts="333.000"))

    found = store.approvals.find_by_message("C123", "333.000")

    assert found is not None and found.approval_id == "ap-1"


def test_decide_once_second_decision_names_the_first_decider(store: Store) -> None:
    store.approvals.put_approval(approval())

    decided = store.approvals.decide("ap-1", "approved", by="U111", at=AT)

    assert decided.status == "approved"
    assert decided.decided_by == "U111"
    assert decided.decided_at == "2027-01-15T08:05:00.000000Z"
    assert store.approvals.get_approval("ap-1") == decided
    with pytest.raises(ApprovalError) as raised:
        store.approvals.decide("ap-1", "skipped", by="U222", at=AT)
    assert isinstance(raised.value, ApprovalConflict)
    assert raised.value.existing["decided_by"] == "U111"
    assert raised.value.existing["status"] == "approved"
    assert "approved by U111 at 2027-01-15T08:05:00" in raised.value.message


def test_expired_approval_cannot_be_decided(store: Store, clock: FakeClock) -> None:
    store.approvals.put_approval(approval())
    clock.advance(3600)

    with pytest.raises(ApprovalConflict) as raised:
        store.approvals.decide("ap-1", "approved", by="U111", at=AT)

    assert "expired" in raised.value.message
    assert raised.value.existing["status"] == "pending"
    loaded = store.approvals.get_approval("ap-1")
    assert loaded is not None and loaded.status == "pending" and loaded.decided_by is None


def test_decide_unknown_or_with_bad_decision(store: Store) -> None:
    with pytest.raises(NotFound):
        store.approvals.decide("nope", "approved", by="U111", at=AT)
    store.approvals.put_approval(approval())
    with pytest.raises(ValueError):
        store.approvals.decide("ap-1", "maybe", by="U111", at=AT)
    loaded = store.approvals.get_approval("ap-1")
    assert loaded is not None and loaded.status == "pending"


def test_find_pending_by_run_skips_decided_expired_and_other_runs(store: Store, clock: FakeClock) -> None:
    store.approvals.put_approval(approval("ap-1"))
    store.approvals.put_approval(approval("ap-2"))
    store.approvals.put_approval(approval("ap-3", expires_at=int(START) + 10))
    store.approvals.put_approval(approval("ap-4", run_id="run-2"))
    store.approvals.decide("ap-2", "approved", by="U111", at=AT)
    clock.advance(60)

    assert [a.approval_id for a in store.approvals.find_pending_by_run("run-1")] == ["ap-1"]


def test_cancel_is_idempotent_and_blocks_decisions(store: Store) -> None:
    store.approvals.put_approval(approval())

    cancelled = store.approvals.cancel("ap-1", "run cancelled")

    assert cancelled.status == "cancelled" and cancelled.cancel_reason == "run cancelled"
    assert store.approvals.cancel("ap-1", "again") == cancelled
    with pytest.raises(ApprovalConflict):
        store.approvals.decide("ap-1", "approved", by="U111", at=AT)


def test_decided_approval_cannot_be_cancelled_or_reopened(store: Store) -> None:
    store.approvals.put_approval(approval())
    store.approvals.decide("ap-1", "approved", by="U111", at=AT)

    with pytest.raises(ApprovalConflict):
        store.approvals.cancel("ap-1", "too late")
    with pytest.raises(ApprovalConflict):
        store.approvals.put_approval(approval())
    loaded = store.approvals.get_approval("ap-1")
    assert loaded is not None and loaded.status == "approved"
