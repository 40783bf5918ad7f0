"""Optimistic writes under a race: another writer gets in between our read and our write.

The race is staged at the far side of the wire: a client that forwards every call to moto but,
just before the first conditional ``put_item``, lets a competing store act.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from chalicelib.store import ApprovalConflict, ApprovalRecord, ensure_tables, open_store

from .conftest import START, FakeClock


class RacingClient:
    def __init__(self, client: Any) -> None:
        self._client = client
        self.race: Callable[[], None] | None = None

    def put_item(self, **kwargs: Any) -> Any:
        race, self.race = self.race, None
        if race is not None and "ConditionExpression" in kwargs:
            race()
        return self._client.put_item(**kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


@pytest.fixture
def stores(dynamodb_client: Any, clock: FakeClock) -> tuple[Any, Any, RacingClient]:
    ensure_tables(dynamodb_client, "race")
    racing = RacingClient(dynamodb_client)
    ours = open_store("dynamodb://race", dynamodb_client=racing, clock=clock)
    theirs = open_store("dynamodb://race", dynamodb_client=dynamodb_client, clock=clock)
    return ours, theirs, racing


def test_slot_taken_between_read_and_write_is_not_overbooked(stores: tuple[Any, Any, RacingClient]) -> None:
    ours, theirs, racing = stores
    theirs.budgets.acquire_slot("ns", "first-run", limit=2, ttl_seconds=60)
    racing.race = lambda: theirs.budgets.acquire_slot("ns", "their-run", limit=2, ttl_seconds=60)

    assert not ours.budgets.acquire_slot("ns", "our-run", limit=2, ttl_seconds=60)
    assert ours.budgets.active_slots("ns") == ["first-run", "their-run"]


def test_first_slot_taken_between_read_and_write_is_not_overbooked(
    stores: tuple[Any, Any, RacingClient],
) -> None:
    ours, theirs, racing = stores
    racing.race = lambda: theirs.budgets.acquire_slot("ns", "their-run", limit=1, ttl_seconds=60)

    assert not ours.budgets.acquire_slot("ns", "our-run", limit=1, ttl_seconds=60)
    assert ours.budgets.active_slots("ns") == ["their-run"]


def test_budget_spent_between_read_and_write_is_not_overspent(stores: tuple[Any, Any, RacingClient]) -> None:
    ours, theirs, racing = stores
    racing.race = lambda: theirs.budgets.consume("ns", "their-change", limit=1, window_seconds=3600)

    assert not ours.budgets.consume("ns", "our-change", limit=1, window_seconds=3600)
    assert ours.budgets.usage("ns", 3600) == 1


def test_concurrent_decision_loses_and_learns_who_won(stores: tuple[Any, Any, RacingClient]) -> None:
    ours, theirs, racing = stores
    at = datetime(2027, 1, 15, 8, 5, tzinfo=UTC)
    theirs.approvals.put_approval(
        ApprovalRecord(approval_id="ap-1", run_id="r", node_id="n", task_token="t", expires_at=int(START) + 600)
    )
    racing.race = lambda: theirs.approvals.decide("ap-1", "skipped", by="U_FAST", at=at)

    with pytest.raises(ApprovalConflict) as raised:
        ours.approvals.decide("ap-1", "approved", by="U_SLOW", at=at)

    assert raised.value.existing["decided_by"] == "U_FAST"
    assert raised.value.existing["status"] == "skipped"
