"""Run admission under an incident storm, straight against the shared store."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from chalicelib.policy.admission import RunAdmission
from chalicelib.policy.rate_limit import RateLimitSettings
from chalicelib.store import Store

FLOW = "incident-auto-response"


def test_storm_of_200_is_bounded_and_nothing_is_lost(store: Store) -> None:
    admission = RunAdmission(store.budgets, RateLimitSettings(max_concurrent=3, queue_size=10, timeout_seconds=600))
    barrier = threading.Barrier(50)

    def arrive(i: int) -> tuple[str, str]:
        if i < 50:
            barrier.wait()  # the first 50 really arrive at the same instant
        return f"run-{i:03d}", admission.admit(FLOW, f"run-{i:03d}").verdict

    with ThreadPoolExecutor(max_workers=50) as pool:
        decided = dict(pool.map(arrive, range(200)))
    assert len(decided) == 200  # every incident got an answer
    verdicts = list(decided.values())
    assert verdicts.count("acting") == 3
    assert verdicts.count("queued") == 10
    assert verdicts.count("escalated") == 187
    assert len(admission.acting(FLOW)) == 3 and len(admission.waiting(FLOW)) == 10


def test_queued_run_acts_when_a_slot_frees_and_asking_twice_is_idempotent(store: Store) -> None:
    admission = RunAdmission(store.budgets, RateLimitSettings(max_concurrent=1, queue_size=1, timeout_seconds=600))
    assert admission.admit(FLOW, "a").verdict == "acting"
    assert admission.admit(FLOW, "a").verdict == "acting"  # a retried start keeps its ticket
    assert admission.admit(FLOW, "b").verdict == "queued"
    assert admission.admit(FLOW, "c").verdict == "escalated"
    assert not admission.acquire_acting(FLOW, "b")
    admission.release(FLOW, "a")
    assert admission.acquire_acting(FLOW, "b")
    assert admission.admit(FLOW, "c").verdict == "queued"  # room in the queue again


def test_no_rate_limit_admits_everything(store: Store) -> None:
    admission = RunAdmission(store.budgets, None)
    assert all(admission.admit(FLOW, f"r{i}").admitted for i in range(20))
