from __future__ import annotations

import pytest

from chalicelib.errors import AlreadyExists, NotFound
from chalicelib.store import RecordTooLarge, Store
from chalicelib.store.rules import DELIVERY_RETENTION_SECONDS

from .conftest import FakeClock


def test_first_delivery_is_recorded_and_readable(store: Store) -> None:
    store.deliveries.record_delivery("evt-1", {"incident": "TEST001", "received_at": 1.5})

    assert store.deliveries.get_delivery("evt-1") == {"incident": "TEST001", "received_at": 1.5}
    assert store.deliveries.get_delivery("evt-2") is None


def test_duplicate_delivery_raises_with_the_old_record(store: Store) -> None:
    store.deliveries.record_delivery("evt-1", {"incident": "TEST001", "attempt": 1})

    with pytest.raises(AlreadyExists) as raised:
        store.deliveries.record_delivery("evt-1", {"incident": "TEST001", "attempt": 2})

    assert raised.value.existing == {"incident": "TEST001", "attempt": 1}
    assert store.deliveries.get_delivery("evt-1") == {"incident": "TEST001", "attempt": 1}


def test_update_merges_fields(store: Store) -> None:
    store.deliveries.record_delivery("evt-1", {"incident": "TEST001", "status": "received"})

    updated = store.deliveries.update_delivery("evt-1", status="started", run_id="run-1")

    expected = {"incident": "TEST001", "status": "started", "run_id": "run-1"}
    assert updated == expected
    assert store.deliveries.get_delivery("evt-1") == expected


def test_update_of_unknown_delivery_is_not_found(store: Store) -> None:
    with pytest.raises(NotFound):
        store.deliveries.update_delivery("nope", status="started")


def test_delivery_is_forgotten_after_retention(store: Store, clock: FakeClock) -> None:
    store.deliveries.record_delivery("evt-1", {"attempt": 1})
    clock.advance(DELIVERY_RETENTION_SECONDS + 1)

    assert store.deliveries.get_delivery("evt-1") is None
    store.deliveries.record_delivery("evt-1", {"attempt": 2})
    assert store.deliveries.get_delivery("evt-1") == {"attempt": 2}


def test_oversized_record_is_refused_on_both_backends(store: Store) -> None:
    with pytest.raises(RecordTooLarge):
        store.deliveries.record_delivery("evt-big", {"payload": "x" * 400_000})
    assert store.deliveries.get_delivery("evt-big") is None
