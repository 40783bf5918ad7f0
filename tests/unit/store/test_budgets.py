from __future__ import annotations

import pytest

from chalicelib.store import Store

from .conftest import FakeClock


def test_slots_never_exceed_limit_sequentially(store: Store) -> None:
    granted = [store.budgets.acquire_slot("ns:default", f"run-{i}", limit=3, ttl_seconds=60) for i in range(8)]

    assert granted == [True, True, True, False, False, False, False, False]
    assert store.budgets.active_slots("ns:default") == ["run-0", "run-1", "run-2"]


def test_reacquire_by_same_holder_is_idempotent(store: Store) -> None:
    assert store.budgets.acquire_slot("s", "run-1", limit=2, ttl_seconds=60)
    assert store.budgets.acquire_slot("s", "run-1", limit=2, ttl_seconds=60)
    assert store.budgets.acquire_slot("s", "run-2", limit=2, ttl_seconds=60)
    assert store.budgets.acquire_slot("s", "run-1", limit=2, ttl_seconds=60)

    assert store.budgets.active_slots("s") == ["run-1", "run-2"]


def test_release_frees_a_slot(store: Store) -> None:
    store.budgets.acquire_slot("s", "run-1", limit=1, ttl_seconds=60)
    assert not store.budgets.acquire_slot("s", "run-2", limit=1, ttl_seconds=60)

    store.budgets.release_slot("s", "run-1")
    store.budgets.release_slot("s", "never-held")

    assert store.budgets.acquire_slot("s", "run-2", limit=1, ttl_seconds=60)
    assert store.budgets.active_slots("s") == ["run-2"]


def test_expired_holders_do_not_count(store: Store, clock: FakeClock) -> None:
    store.budgets.acquire_slot("s", "run-1", limit=1, ttl_seconds=60)
    clock.advance(30)
    assert not store.budgets.acquire_slot("s", "run-2", limit=1, ttl_seconds=60)
    clock.advance(31)

    assert store.budgets.active_slots("s") == []
    assert store.budgets.acquire_slot("s", "run-2", limit=1, ttl_seconds=60)
    assert store.budgets.active_slots("s") == ["run-2"]


def test_reacquire_extends_the_lease(store: Store, clock: FakeClock) -> None:
    store.budgets.acquire_slot("s", "run-1", limit=1, ttl_seconds=60)
    clock.advance(50)
    store.budgets.acquire_slot("s", "run-1", limit=1, ttl_seconds=60)
    clock.advance(50)

    assert store.budgets.active_slots("s") == ["run-1"]


def test_scopes_are_independent(store: Store) -> None:
    assert store.budgets.acquire_slot("a", "run-1", limit=1, ttl_seconds=60)
    assert store.budgets.acquire_slot("b", "run-2", limit=1, ttl_seconds=60)


def test_consume_stops_at_limit_within_window(store: Store, clock: FakeClock) -> None:
    results = []
    for i in range(5):
        results.append(store.budgets.consume("changes:default", f"change-{i}", limit=3, window_seconds=3600))
        clock.advance(60)

    assert results == [True, True, True, False, False]
    assert store.budgets.usage("changes:default", 3600) == 3


def test_same_key_is_consumed_once(store: Store) -> None:
    assert store.budgets.consume("s", "exec-1:scale", limit=2, window_seconds=3600)
    assert store.budgets.consume("s", "exec-1:scale", limit=2, window_seconds=3600)
    assert store.budgets.usage("s", 3600) == 1
    assert store.budgets.consume("s", "exec-2:scale", limit=2, window_seconds=3600)
    # Budget now spent, but a key already counted still answers True without consuming.
    assert store.budgets.consume("s", "exec-1:scale", limit=2, window_seconds=3600)
    assert not store.budgets.consume("s", "exec-3:scale", limit=2, window_seconds=3600)
    assert store.budgets.usage("s", 3600) == 2


def test_window_slides(store: Store, clock: FakeClock) -> None:
    assert store.budgets.consume("s", "k1", limit=2, window_seconds=3600)
    clock.advance(1800)
    assert store.budgets.consume("s", "k2", limit=2, window_seconds=3600)
    assert not store.budgets.consume("s", "k3", limit=2, window_seconds=3600)
    clock.advance(1801)  # k1 has left the window, k2 has not

    assert store.budgets.usage("s", 3600) == 1
    assert store.budgets.consume("s", "k3", limit=2, window_seconds=3600)
    assert not store.budgets.consume("s", "k4", limit=2, window_seconds=3600)
    assert store.budgets.usage("s", 3600) == 2


def test_limits_must_be_positive(store: Store) -> None:
    with pytest.raises(ValueError):
        store.budgets.acquire_slot("s", "h", limit=0, ttl_seconds=60)
    with pytest.raises(ValueError):
        store.budgets.consume("s", "k", limit=1, window_seconds=0)
