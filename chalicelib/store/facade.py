from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

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


@dataclass(frozen=True)
class Store:
    """Every storage interface of one backend, as attributes."""

    backend: str
    deliveries: DeliveryStore
    runs: RunStore
    approvals: ApprovalStore
    memory: MemoryStore
    budgets: BudgetStore
    artifacts: ArtifactStore
    idempotency: IdempotencyStore
    _close: Callable[[], None] = field(default=_nothing, repr=False)

    def close(self) -> None:
        """Release connections (SQLite); a no-op for DynamoDB."""
        self._close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
