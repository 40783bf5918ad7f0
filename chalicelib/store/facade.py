from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from chalicelib.record import Record

if TYPE_CHECKING:  # the interfaces are Protocols: for the type checker, not worth a cold start
    from chalicelib.store.interfaces import (
        ApprovalStore,
        ArtifactStore,
        BudgetStore,
        DeliveryStore,
        IdempotencyStore,
        MemoryStore,
        RunStore,
    )


def _nothing() -> None:
    return None


class Store(Record):
    """Every storage interface of one backend, as attributes."""

    backend: str
    deliveries: DeliveryStore
    runs: RunStore
    approvals: ApprovalStore
    memory: MemoryStore
    budgets: BudgetStore
    artifacts: ArtifactStore
    idempotency: IdempotencyStore
    _close: Callable[[], None] = _nothing

    def close(self) -> None:
        """Release connections (SQLite); a no-op for DynamoDB."""
        self._close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
