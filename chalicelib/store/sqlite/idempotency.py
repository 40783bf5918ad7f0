from __future__ import annotations

import sqlite3
from typing import Any

from chalicelib.store import codec, rules
from chalicelib.store.errors import InProgress
from chalicelib.store.records import IdempotencyRecord
from chalicelib.store.sqlite.db import Database
from chalicelib.store.timeutil import Clock, iso_from_epoch


def _live(conn: sqlite3.Connection, key: str, now: float) -> IdempotencyRecord | None:
    row = conn.execute("SELECT data FROM idempotency WHERE key = ? AND expires_at > ?", (key, now)).fetchone()
    return None if row is None else IdempotencyRecord.from_dict(codec.loads(row[0]))


def _save(conn: sqlite3.Connection, record: IdempotencyRecord) -> None:
    conn.execute(
        "INSERT OR REPLACE INTO idempotency (key, expires_at, data) VALUES (?, ?, ?)",
        (record.key, record.expires_at, codec.dumps(record.to_dict())),
    )


class SqliteIdempotencyStore:
    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    def begin(self, key: str, ttl_seconds: int) -> IdempotencyRecord | None:
        rules.check_positive(ttl_seconds=ttl_seconds)
        with self._db.write() as conn:
            now = self._clock()
            existing = _live(conn, key, now)
            if existing is not None and existing.status == "completed":
                return existing
            if existing is not None:
                raise InProgress(f"idempotency key {key!r} is in progress", existing.to_dict())
            _save(
                conn,
                IdempotencyRecord(
                    key=key, status="in_progress", started_at=iso_from_epoch(now), expires_at=now + ttl_seconds
                ),
            )
        return None

    def complete(self, key: str, result: dict[str, Any], ttl_seconds: int | None = None) -> IdempotencyRecord:
        retention = rules.IDEMPOTENCY_RETENTION_SECONDS if ttl_seconds is None else ttl_seconds
        with self._db.write() as conn:
            now = self._clock()
            existing = _live(conn, key, now)
            record = IdempotencyRecord(
                key=key,
                status="completed",
                result=result,
                started_at=existing.started_at if existing else iso_from_epoch(now),
                completed_at=iso_from_epoch(now),
                expires_at=now + retention,
            )
            _save(conn, record)
        return record

    def get(self, key: str) -> IdempotencyRecord | None:
        with self._db.read() as conn:
            return _live(conn, key, self._clock())
