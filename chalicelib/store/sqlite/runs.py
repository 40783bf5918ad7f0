from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.errors import AlreadyExists
from chalicelib.store import codec, rules
from chalicelib.store.records import RunEvent, RunRecord
from chalicelib.store.sqlite.db import Database
from chalicelib.store.timeutil import to_iso

_COLUMNS = "run_id, flow, incident_id, started_at, data"


def _row(run: RunRecord) -> tuple[str, str, str | None, str, str]:
    return (run.run_id, run.flow, run.incident_id, run.started_at, codec.dumps(run.to_dict()))


class SqliteRunStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    def create_run(self, run: RunRecord) -> RunRecord:
        row = _row(run)
        with self._db.write() as conn:
            old = conn.execute("SELECT data FROM runs WHERE run_id = ?", (run.run_id,)).fetchone()
            if old is not None:
                raise AlreadyExists(f"run {run.run_id!r} already exists", codec.loads(old[0]))
            conn.execute(f"INSERT INTO runs ({_COLUMNS}) VALUES (?, ?, ?, ?, ?)", row)  # noqa: S608
        return run

    def update_run(self, run_id: str, **fields: Any) -> RunRecord:
        with self._db.write() as conn:
            old = conn.execute("SELECT data FROM runs WHERE run_id = ?", (run_id,)).fetchone()
            if old is None:
                raise rules.run_not_found(run_id)
            run = rules.updated_run(RunRecord.from_dict(codec.loads(old[0])), fields)
            conn.execute(
                "UPDATE runs SET flow = ?, incident_id = ?, started_at = ?, data = ? WHERE run_id = ?",
                (*_row(run)[1:], run_id),
            )
        return run

    def get_run(self, run_id: str) -> RunRecord | None:
        with self._db.read() as conn:
            row = conn.execute("SELECT data FROM runs WHERE run_id = ?", (run_id,)).fetchone()
        return None if row is None else RunRecord.from_dict(codec.loads(row[0]))

    def list_runs(self, flow: str | None = None, since: datetime | None = None, limit: int = 100) -> list[RunRecord]:
        where, params = ["1 = 1"], []
        if flow is not None:
            where.append("flow = ?")
            params.append(flow)
        if since is not None:
            where.append("started_at >= ?")
            params.append(to_iso(since))
        sql = (
            f"SELECT data FROM runs WHERE {' AND '.join(where)} "  # noqa: S608 - only fixed fragments
            "ORDER BY started_at DESC, run_id DESC LIMIT ?"
        )
        with self._db.read() as conn:
            rows = conn.execute(sql, (*params, max(limit, 0))).fetchall()
        return [RunRecord.from_dict(codec.loads(r[0])) for r in rows]

    def append_event(self, run_id: str, event: RunEvent) -> RunEvent:
        with self._db.write() as conn:
            (last,) = conn.execute(
                "SELECT COALESCE(MAX(seq), 0) FROM run_events WHERE run_id = ?", (run_id,)
            ).fetchone()
            stored = event.replace(seq=int(last) + 1)
            conn.execute(
                "INSERT INTO run_events (run_id, seq, data) VALUES (?, ?, ?)",
                (run_id, stored.seq, codec.dumps(stored.to_dict())),
            )
        return stored

    def events(self, run_id: str) -> list[RunEvent]:
        with self._db.read() as conn:
            rows = conn.execute("SELECT data FROM run_events WHERE run_id = ? ORDER BY seq", (run_id,)).fetchall()
        return [RunEvent.from_dict(codec.loads(r[0])) for r in rows]

    def find_run_by_incident(self, incident_id: str) -> list[RunRecord]:
        with self._db.read() as conn:
            rows = conn.execute(
                "SELECT data FROM runs WHERE incident_id = ? ORDER BY started_at DESC, run_id DESC",
                (incident_id,),
            ).fetchall()
        return [RunRecord.from_dict(codec.loads(r[0])) for r in rows]
