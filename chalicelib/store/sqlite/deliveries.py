from __future__ import annotations

from typing import Any

from chalicelib.errors import AlreadyExists
from chalicelib.store import codec, rules
from chalicelib.store.sqlite.db import Database
from chalicelib.store.timeutil import Clock


class SqliteDeliveryStore:
    def __init__(self, db: Database, clock: Clock, retention_seconds: int = rules.DELIVERY_RETENTION_SECONDS) -> None:
        self._db = db
        self._clock = clock
        self._retention = retention_seconds

    def record_delivery(self, delivery_id: str, record: dict[str, Any]) -> None:
        data = codec.dumps(record)
        now = self._clock()
        with self._db.write() as conn:
            row = conn.execute(
                "SELECT data FROM deliveries WHERE delivery_id = ? AND expires_at > ?", (delivery_id, now)
            ).fetchone()
            if row is not None:
                raise AlreadyExists(f"webhook delivery {delivery_id!r} already recorded", codec.loads(row[0]))
            # REPLACE: a remembered-but-expired delivery counts as new, as DynamoDB TTL would have it.
            conn.execute(
                "INSERT OR REPLACE INTO deliveries (delivery_id, expires_at, data) VALUES (?, ?, ?)",
                (delivery_id, now + self._retention, data),
            )

    def update_delivery(self, delivery_id: str, **fields: Any) -> dict[str, Any]:
        with self._db.write() as conn:
            row = conn.execute(
                "SELECT data FROM deliveries WHERE delivery_id = ? AND expires_at > ?",
                (delivery_id, self._clock()),
            ).fetchone()
            if row is None:
                raise rules.delivery_not_found(delivery_id)
            record: dict[str, Any] = {**codec.loads(row[0]), **fields}
            conn.execute("UPDATE deliveries SET data = ? WHERE delivery_id = ?", (codec.dumps(record), delivery_id))
        return record

    def get_delivery(self, delivery_id: str) -> dict[str, Any] | None:
        with self._db.read() as conn:
            row = conn.execute(
                "SELECT data FROM deliveries WHERE delivery_id = ? AND expires_at > ?",
                (delivery_id, self._clock()),
            ).fetchone()
        return None if row is None else dict(codec.loads(row[0]))
