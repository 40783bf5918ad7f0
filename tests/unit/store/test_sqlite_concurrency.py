"""Many threads and processes on one SQLite file: the limits hold."""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest

from chalicelib.errors import AlreadyExists
from chalicelib.store import RunEvent, Store, open_store

T = TypeVar("T")


def in_threads(count: int, work: Callable[[int], T]) -> list[T]:
    barrier = threading.Barrier(count)
    results: list[T | None] = [None] * count
    errors: list[BaseException] = []

    def run(i: int) -> None:
        barrier.wait()  # start together so the calls really contend
        try:
            results[i] = work(i)
        except BaseException as err:
            errors.append(err)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    return [r for r in results if r is not None]


@pytest.fixture
def file_store(tmp_path: Path) -> Store:
    return open_store(f"sqlite:///{tmp_path}/shared.db")


@pytest.mark.parametrize("limit", [1, 3])
def test_eight_threads_never_exceed_the_slot_limit(file_store: Store, limit: int) -> None:
    for round_ in range(5):
        scope = f"ns-{limit}-{round_}"

        def acquire(i: int, scope: str = scope) -> bool:
            return file_store.budgets.acquire_slot(scope, f"run-{i}", limit, 60)

        granted = in_threads(8, acquire)

        assert granted.count(True) == limit
        assert len(file_store.budgets.active_slots(scope)) == limit


def test_eight_threads_never_overspend_a_budget(file_store: Store) -> None:
    allowed = in_threads(8, lambda i: sum(file_store.budgets.consume("ns", f"k-{i}-{j}", 5, 3600) for j in range(5)))

    assert sum(allowed) == 5
    assert file_store.budgets.usage("ns", 3600) == 5


def test_a_delivery_is_recorded_once_whatever_the_race(file_store: Store) -> None:
    def record(i: int) -> str:
        try:
            file_store.deliveries.record_delivery("evt-1", {"by": i})
        except AlreadyExists:
            return "duplicate"
        return "recorded"

    outcomes = in_threads(8, record)

    assert sorted(outcomes) == ["duplicate"] * 7 + ["recorded"]


@pytest.mark.parametrize("url", ["file", "sqlite://:memory:"])
def test_concurrent_events_get_unique_ordered_sequence(tmp_path: Path, url: str) -> None:
    store = open_store(f"sqlite:///{tmp_path}/ev.db" if url == "file" else url)
    in_threads(8, lambda i: [store.runs.append_event("run-1", RunEvent(type=f"t{i}")) for _ in range(25)])

    assert [e.seq for e in store.runs.events("run-1")] == list(range(1, 201))
    store.close()


def _consume_in_process(path: str, worker: int) -> int:
    store = open_store(f"sqlite:///{path}")
    return sum(store.budgets.consume("cluster", f"w{worker}-{j}", 7, 3600) for j in range(10))


def test_processes_sharing_the_file_respect_the_budget(tmp_path: Path) -> None:
    path = str(tmp_path / "shared.db")
    open_store(f"sqlite:///{path}").close()  # schema first, so workers only contend on the budget
    with multiprocessing.get_context("spawn").Pool(4) as pool:
        allowed = pool.starmap(_consume_in_process, [(path, w) for w in range(4)])

    assert sum(allowed) == 7
