"""Run admission from the flow's ``rate_limit``: an incident storm must not become a remediation storm.

At most ``max_concurrent`` runs act at once and ``queue_size`` more wait; a run beyond that is
still recorded but escalated to a human at once. Tickets live in the shared budget store (so
every Lambda and every ``aofctl serve`` process sees the same count) and expire after
``timeout_seconds``, so a run that dies without releasing its ticket frees it anyway.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from chalicelib.policy.rate_limit import RateLimitSettings
from chalicelib.record import Record

if TYPE_CHECKING:
    from chalicelib.store.interfaces import BudgetStore

Verdict = Literal["acting", "queued", "escalated"]


class AdmissionDecision(Record):
    verdict: Verdict
    reason: str

    @property
    def admitted(self) -> bool:
        return self.verdict != "escalated"


class RunAdmission:
    """Tickets per flow: ``runs:<flow>`` (acting + waiting) and ``acting:<flow>`` (acting)."""

    def __init__(self, budgets: BudgetStore, limits: RateLimitSettings | None) -> None:
        self.budgets = budgets
        self.limits = limits

    def admit(self, flow: str, run_id: str) -> AdmissionDecision:
        """Take a ticket for ``run_id``; the same run asking again keeps its ticket (idempotent)."""
        if self.limits is None:
            return AdmissionDecision("acting", "no rate_limit configured")
        limits = self.limits
        capacity = limits.max_concurrent + limits.queue_size
        if not self.budgets.acquire_slot(f"runs:{flow}", run_id, capacity, limits.timeout_seconds):
            return AdmissionDecision(
                "escalated",
                f"{limits.max_concurrent} runs acting and {limits.queue_size} waiting for flow {flow}: "
                "incident storm, escalated to a human without automatic action",
            )
        if self.acquire_acting(flow, run_id):
            return AdmissionDecision("acting", "within max_concurrent")
        return AdmissionDecision("queued", f"waiting for one of {limits.max_concurrent} acting slots")

    def acquire_acting(self, flow: str, run_id: str) -> bool:
        """Take one of ``max_concurrent`` acting slots (a queued run calls this again to start)."""
        if self.limits is None:
            return True
        return self.budgets.acquire_slot(
            f"acting:{flow}", run_id, self.limits.max_concurrent, self.limits.timeout_seconds
        )

    def release(self, flow: str, run_id: str) -> None:
        """The run finished (or was escalated): free both its tickets."""
        self.budgets.release_slot(f"acting:{flow}", run_id)
        self.budgets.release_slot(f"runs:{flow}", run_id)

    def acting(self, flow: str) -> list[str]:
        return self.budgets.active_slots(f"acting:{flow}")

    def waiting(self, flow: str) -> list[str]:
        acting = set(self.acting(flow))
        return [r for r in self.budgets.active_slots(f"runs:{flow}") if r not in acting]
