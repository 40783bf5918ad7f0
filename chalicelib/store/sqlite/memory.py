from __future__ import annotations

from typing import Any

from chalicelib.store import codec, rules
from chalicelib.store.sqlite.db import Database


class SqliteMemoryStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    def append(self, agent: str, key: str, message: dict[str, Any], max_messages: int) -> None:
        rules.check_positive(max_messages=max_messages)
        data = codec.dumps(message)
        with self._db.write() as conn:
            (last,) = conn.execute(
                "SELECT COALESCE(MAX(seq), 0) FROM memory WHERE agent = ? AND key = ?", (agent, key)
            ).fetchone()
            seq = int(last) + 1
            conn.execute("INSERT INTO memory (agent, key, seq, data) VALUES (?, ?, ?, ?)", (agent, key, seq, data))
            conn.execute(
                "DELETE FROM memory WHERE agent = ? AND key = ? AND seq <= ?",
                (agent, key, seq - max_messages),
            )

    def recent(self, agent: str, key: str, limit: int) -> list[dict[str, Any]]:
        with self._db.read() as conn:
            rows = conn.execute(
                "SELECT data FROM memory WHERE agent = ? AND key = ? ORDER BY seq DESC LIMIT ?",
                (agent, key, max(limit, 0)),
            ).fetchall()
        return [dict(codec.loads(r[0])) for r in reversed(rows)]
