from __future__ import annotations

from chalicelib.store import rules
from chalicelib.store.sqlite.db import Database
from chalicelib.store.timeutil import Clock


class SqliteBudgetStore:
    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    def acquire_slot(self, scope: str, holder: str, limit: int, ttl_seconds: int) -> bool:
        rules.check_positive(limit=limit, ttl_seconds=ttl_seconds)
        # Same decision as DynamoDB: load the scope's holders, decide in rules, write back.
        with self._db.write() as conn:
            now = self._clock()
            rows = conn.execute("SELECT holder, expires_at FROM slots WHERE scope = ?", (scope,)).fetchall()
            granted, live = rules.try_acquire(dict(rows), holder, limit, ttl_seconds, now)
            conn.execute("DELETE FROM slots WHERE scope = ? AND expires_at <= ?", (scope, now))
            if granted:
                conn.execute(
                    "INSERT OR REPLACE INTO slots (scope, holder, expires_at) VALUES (?, ?, ?)",
                    (scope, holder, live[holder]),
                )
        return granted

    def release_slot(self, scope: str, holder: str) -> None:
        with self._db.write() as conn:
            conn.execute("DELETE FROM slots WHERE scope = ? AND holder = ?", (scope, holder))

    def active_slots(self, scope: str) -> list[str]:
        with self._db.read() as conn:
            rows = conn.execute(
                "SELECT holder FROM slots WHERE scope = ? AND expires_at > ? ORDER BY holder",
                (scope, self._clock()),
            ).fetchall()
        return [r[0] for r in rows]

    def consume(self, scope: str, key: str, limit: int, window_seconds: int) -> bool:
        rules.check_positive(limit=limit, window_seconds=window_seconds)
        with self._db.write() as conn:
            now = self._clock()
            rows = conn.execute("SELECT key, at FROM budget_uses WHERE scope = ?", (scope,)).fetchall()
            allowed, kept = rules.try_consume(dict(rows), key, limit, window_seconds, now)
            conn.execute(
                "DELETE FROM budget_uses WHERE scope = ? AND at <= ?",
                (scope, now - rules.budget_retention(window_seconds)),
            )
            if allowed:
                conn.execute(
                    "INSERT OR IGNORE INTO budget_uses (scope, key, at) VALUES (?, ?, ?)",
                    (scope, key, kept[key]),
                )
        return allowed

    def usage(self, scope: str, window_seconds: int) -> int:
        with self._db.read() as conn:
            (count,) = conn.execute(
                "SELECT COUNT(*) FROM budget_uses WHERE scope = ? AND at > ?",
                (scope, self._clock() - window_seconds),
            ).fetchone()
        return int(count)
