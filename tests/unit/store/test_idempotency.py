from __future__ import annotations

import pytest

from chalicelib.errors import AlreadyExists
from chalicelib.store import InProgress, Store

from .conftest import FakeClock


def test_first_begin_claims_then_complete_is_returned_to_retries(store: Store) -> None:
    assert store.idempotency.begin("exec-1:scale", ttl_seconds=300) is None
    claim = store.idempotency.get("exec-1:scale")
    assert claim is not None and claim.status == "in_progress"

    store.idempotency.complete("exec-1:scale", {"replicas": 3, "changed": True})
    again = store.idempotency.begin("exec-1:scale", ttl_seconds=300)

    assert again is not None
    assert again.status == "completed"
    assert again.result == {"replicas": 3, "changed": True}
    assert again.started_at == claim.started_at


def test_begin_while_in_progress_raises_retryable(store: Store) -> None:
    store.idempotency.begin("k", ttl_seconds=300)

    with pytest.raises(InProgress) as raised:
        store.idempotency.begin("k", ttl_seconds=300)

    assert isinstance(raised.value, AlreadyExists)
    assert raised.value.retryable
    assert raised.value.existing["status"] == "in_progress"


def test_expired_claim_can_be_taken_over(store: Store, clock: FakeClock) -> None:
    store.idempotency.begin("k", ttl_seconds=300)
    clock.advance(301)

    assert store.idempotency.get("k") is None
    assert store.idempotency.begin("k", ttl_seconds=300) is None


def test_completed_record_expires_after_its_ttl(store: Store, clock: FakeClock) -> None:
    store.idempotency.begin("k", ttl_seconds=300)
    store.idempotency.complete("k", {"ok": True}, ttl_seconds=600)
    clock.advance(599)
    done = store.idempotency.get("k")
    assert done is not None and done.result == {"ok": True}

    clock.advance(2)

    assert store.idempotency.get("k") is None
    assert store.idempotency.begin("k", ttl_seconds=300) is None


def test_unknown_key(store: Store) -> None:
    assert store.idempotency.get("nope") is None
