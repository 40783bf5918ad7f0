from __future__ import annotations

from chalicelib.store import rules
from chalicelib.store.sqlite.db import Database


class SqliteArtifactStore:
    """Artifacts as BLOBs; no chunking is needed, but the size cap is the same as DynamoDB's."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def put_artifact(self, run_id: str, name: str, content: bytes | str, content_type: str = "application/json") -> str:
        ref = rules.artifact_ref(run_id, name)
        data = rules.artifact_bytes(content)
        with self._db.write() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO artifacts (run_id, name, content_type, content) VALUES (?, ?, ?, ?)",
                (run_id, name, content_type, data),
            )
        return ref

    def get_artifact(self, ref: str) -> bytes:
        run_id, name = rules.parse_artifact_ref(ref)
        with self._db.read() as conn:
            row = conn.execute("SELECT content FROM artifacts WHERE run_id = ? AND name = ?", (run_id, name)).fetchone()
        if row is None:
            raise rules.artifact_not_found(ref)
        return bytes(row[0])

    def list_artifacts(self, run_id: str) -> list[str]:
        with self._db.read() as conn:
            rows = conn.execute("SELECT name FROM artifacts WHERE run_id = ? ORDER BY name", (run_id,)).fetchall()
        return [rules.artifact_ref(run_id, r[0]) for r in rows]
