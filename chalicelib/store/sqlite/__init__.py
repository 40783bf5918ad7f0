"""SQLite backend: the embedded default. See :mod:`chalicelib.store.sqlite.db` for concurrency."""

from __future__ import annotations

from chalicelib.store.facade import Store
from chalicelib.store.sqlite.approvals import SqliteApprovalStore
from chalicelib.store.sqlite.artifacts import SqliteArtifactStore
from chalicelib.store.sqlite.budgets import SqliteBudgetStore
from chalicelib.store.sqlite.db import Database
from chalicelib.store.sqlite.deliveries import SqliteDeliveryStore
from chalicelib.store.sqlite.idempotency import SqliteIdempotencyStore
from chalicelib.store.sqlite.memory import SqliteMemoryStore
from chalicelib.store.sqlite.runs import SqliteRunStore
from chalicelib.store.timeutil import Clock


def open_sqlite(path: str, clock: Clock) -> Store:
    """A store on the SQLite file ``path`` (created with its schema if missing) or ``:memory:``."""
    db = Database(path)
    return Store(
        backend="sqlite",
        deliveries=SqliteDeliveryStore(db, clock),
        runs=SqliteRunStore(db),
        approvals=SqliteApprovalStore(db, clock),
        memory=SqliteMemoryStore(db),
        budgets=SqliteBudgetStore(db, clock),
        artifacts=SqliteArtifactStore(db),
        idempotency=SqliteIdempotencyStore(db, clock),
        _close=db.close,
    )


__all__ = ["Database", "open_sqlite"]
