"""SQLite persistence: state machines, runs (with their checkpoint), history events, task tokens.

One connection shared by the engine's threads behind a lock; WAL with synchronous=NORMAL
survives a killed process (what we promise), not a power cut. Every state transition is one
transaction: the events it records and the checkpoint it moves to commit together.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_SCHEMA = """
CREATE TABLE IF NOT EXISTS machines (
    name TEXT PRIMARY KEY, definition TEXT NOT NULL, max_concurrent INTEGER
);
CREATE TABLE IF NOT EXISTS runs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    root_id TEXT NOT NULL,
    parent_id TEXT,
    branch_index INTEGER,
    machine TEXT NOT NULL,
    name TEXT NOT NULL,
    status TEXT NOT NULL,
    definition TEXT NOT NULL,
    context TEXT NOT NULL,
    input TEXT NOT NULL,
    output TEXT,
    error TEXT,
    cause TEXT,
    start_time REAL NOT NULL,
    stop_time REAL,
    deadline REAL,
    cursor TEXT NOT NULL,
    wake_at REAL,
    wake_kind TEXT
);
CREATE UNIQUE INDEX IF NOT EXISTS runs_root_name ON runs(machine, name) WHERE parent_id IS NULL;
CREATE INDEX IF NOT EXISTS runs_due ON runs(status, wake_at);
CREATE INDEX IF NOT EXISTS runs_parent ON runs(parent_id);
CREATE INDEX IF NOT EXISTS runs_root ON runs(root_id);
CREATE TABLE IF NOT EXISTS events (
    root_id TEXT NOT NULL, id INTEGER NOT NULL, type TEXT NOT NULL, timestamp REAL NOT NULL,
    details TEXT NOT NULL, PRIMARY KEY (root_id, id)
);
CREATE TABLE IF NOT EXISTS tokens (
    token TEXT PRIMARY KEY, run_id TEXT NOT NULL, root_id TEXT NOT NULL, state TEXT NOT NULL,
    status TEXT NOT NULL, output TEXT, error TEXT, cause TEXT
);
"""

RUNNING = "RUNNING"
QUEUED = "QUEUED"
TERMINAL = frozenset({"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"})


@dataclass
class Run:
    id: str
    root_id: str
    parent_id: str | None
    branch_index: int | None
    machine: str
    name: str
    status: str
    definition: dict[str, Any]
    context: dict[str, Any]
    input: Any
    output: Any
    error: str | None
    cause: str | None
    start_time: float
    stop_time: float | None
    deadline: float | None
    cursor: dict[str, Any]
    wake_at: float | None
    wake_kind: str | None
    seq: int = 0

    @property
    def is_root(self) -> bool:
        return self.parent_id is None


@dataclass
class Event:
    root_id: str
    type: str
    timestamp: float
    details: dict[str, Any] = field(default_factory=dict)
    id: int = 0


def _loads(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


class EngineStore:
    def __init__(self, path: str | Path) -> None:
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._conn.row_factory = sqlite3.Row
        self.lock = threading.RLock()
        self._depth = 0
        with self.lock:
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
            self._conn.execute("PRAGMA busy_timeout=5000")
            self._conn.executescript(_SCHEMA)

    def close(self) -> None:
        with self.lock:
            self._conn.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction; nested calls join the outer one."""
        with self.lock:
            if self._depth:
                self._depth += 1
                try:
                    yield self._conn
                finally:
                    self._depth -= 1
                return
            self._conn.execute("BEGIN IMMEDIATE")
            self._depth = 1
            try:
                yield self._conn
            except BaseException:
                self._depth = 0
                self._conn.execute("ROLLBACK")
                raise
            self._depth = 0
            self._conn.execute("COMMIT")

    # --- machines -------------------------------------------------------------------------
    def put_machine(self, name: str, definition: dict[str, Any], max_concurrent: int | None) -> None:
        with self.transaction() as c:
            c.execute(
                "INSERT INTO machines(name, definition, max_concurrent) VALUES (?,?,?) "
                "ON CONFLICT(name) DO UPDATE SET definition=excluded.definition, "
                "max_concurrent=excluded.max_concurrent",
                (name, _dumps(definition), max_concurrent),
            )

    def get_machine(self, name: str) -> tuple[dict[str, Any], int | None] | None:
        with self.lock:
            row = self._conn.execute("SELECT definition, max_concurrent FROM machines WHERE name=?", (name,)).fetchone()
        return None if row is None else (json.loads(row["definition"]), row["max_concurrent"])

    def machines(self) -> list[str]:
        with self.lock:
            return [r[0] for r in self._conn.execute("SELECT name FROM machines ORDER BY name")]

    # --- runs -----------------------------------------------------------------------------
    def insert_run(self, run: Run) -> None:
        with self.transaction() as c:
            c.execute(
                "INSERT INTO runs(id, root_id, parent_id, branch_index, machine, name, status, definition,"
                " context, input, output, error, cause, start_time, stop_time, deadline, cursor, wake_at,"
                " wake_kind) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    run.id,
                    run.root_id,
                    run.parent_id,
                    run.branch_index,
                    run.machine,
                    run.name,
                    run.status,
                    _dumps(run.definition),
                    _dumps(run.context),
                    _dumps(run.input),
                    None if run.output is None else _dumps(run.output),
                    run.error,
                    run.cause,
                    run.start_time,
                    run.stop_time,
                    run.deadline,
                    _dumps(run.cursor),
                    run.wake_at,
                    run.wake_kind,
                ),
            )

    def root_exists(self, machine: str, name: str) -> bool:
        with self.lock:
            row = self._conn.execute(
                "SELECT 1 FROM runs WHERE machine=? AND name=? AND parent_id IS NULL", (machine, name)
            ).fetchone()
        return row is not None

    def get_run(self, run_id: str) -> Run | None:
        with self.lock:
            row = self._conn.execute("SELECT * FROM runs WHERE id=?", (run_id,)).fetchone()
        return None if row is None else _run(row)

    def update_run(self, run_id: str, *, expect: str | None = RUNNING, **fields: Any) -> bool:
        """Update columns; with ``expect`` only if the run still has that status."""
        sets = []
        values: list[Any] = []
        for key, value in fields.items():
            sets.append(f"{key}=?")
            if key in ("cursor", "output", "input", "context", "definition"):
                value = None if value is None and key == "output" else _dumps(value)
            values.append(value)
        sql = f"UPDATE runs SET {', '.join(sets)} WHERE id=?"  # noqa: S608 - column names are ours
        values.append(run_id)
        if expect is not None:
            sql += " AND status=?"
            values.append(expect)
        with self.transaction() as c:
            return c.execute(sql, values).rowcount == 1

    def children(self, parent_id: str) -> list[Run]:
        with self.lock:
            rows = self._conn.execute(
                "SELECT * FROM runs WHERE parent_id=? ORDER BY branch_index", (parent_id,)
            ).fetchall()
        return [_run(r) for r in rows]

    def descendants_running(self, root_id: str) -> list[str]:
        with self.lock:
            return [
                r[0]
                for r in self._conn.execute(
                    "SELECT id FROM runs WHERE root_id=? AND parent_id IS NOT NULL AND status=?",
                    (root_id, RUNNING),
                )
            ]

    def due(self, now: float, exclude: set[str], limit: int = 256) -> list[str]:
        with self.lock:
            rows = self._conn.execute(
                "SELECT id FROM runs WHERE status=? AND ((wake_at IS NOT NULL AND wake_at<=?)"
                " OR (deadline IS NOT NULL AND deadline<=?)) ORDER BY seq LIMIT ?",
                (RUNNING, now, now, limit + len(exclude)),
            ).fetchall()
        return [r[0] for r in rows if r[0] not in exclude][:limit]

    def next_wake(self, kinds: tuple[str, ...] | None = None) -> float | None:
        """Earliest future wake time of a running run (optionally only of these wake kinds)."""
        sql = "SELECT MIN(wake_at) FROM runs WHERE status=? AND wake_at IS NOT NULL"
        args: list[Any] = [RUNNING]
        if kinds:
            sql += f" AND wake_kind IN ({','.join('?' * len(kinds))})"
            args.extend(kinds)
        with self.lock:
            value = self._conn.execute(sql, args).fetchone()[0]
            if kinds is None:
                dl = self._conn.execute(
                    "SELECT MIN(deadline) FROM runs WHERE status=? AND deadline IS NOT NULL", (RUNNING,)
                ).fetchone()[0]
                if dl is not None and (value is None or dl < value):
                    value = dl
        return None if value is None else float(value)

    def count_status(self, machine: str, status: str) -> int:
        with self.lock:
            return int(
                self._conn.execute(
                    "SELECT COUNT(*) FROM runs WHERE machine=? AND status=? AND parent_id IS NULL",
                    (machine, status),
                ).fetchone()[0]
            )

    def oldest_queued(self, machine: str, limit: int) -> list[Run]:
        with self.lock:
            rows = self._conn.execute(
                "SELECT * FROM runs WHERE machine=? AND status=? AND parent_id IS NULL ORDER BY seq LIMIT ?",
                (machine, QUEUED, limit),
            ).fetchall()
        return [_run(r) for r in rows]

    def list_roots(self, machine: str | None, status: str | None) -> list[Run]:
        sql = "SELECT * FROM runs WHERE parent_id IS NULL"
        args: list[Any] = []
        if machine is not None:
            sql += " AND machine=?"
            args.append(machine)
        if status is not None:
            sql += " AND status=?"
            args.append(status)
        sql += " ORDER BY seq DESC"
        with self.lock:
            return [_run(r) for r in self._conn.execute(sql, args).fetchall()]

    def unfinished_count(self) -> int:
        with self.lock:
            return int(
                self._conn.execute("SELECT COUNT(*) FROM runs WHERE status IN (?,?)", (RUNNING, QUEUED)).fetchone()[0]
            )

    # --- events ---------------------------------------------------------------------------
    def add_events(self, events: list[Event]) -> None:
        if not events:
            return
        with self.transaction() as c:
            for ev in events:
                last = c.execute("SELECT MAX(id) FROM events WHERE root_id=?", (ev.root_id,)).fetchone()[0]
                ev.id = (last or 0) + 1
                c.execute(
                    "INSERT INTO events(root_id, id, type, timestamp, details) VALUES (?,?,?,?,?)",
                    (ev.root_id, ev.id, ev.type, ev.timestamp, _dumps(ev.details)),
                )

    def events(self, root_id: str) -> list[Event]:
        with self.lock:
            rows = self._conn.execute("SELECT * FROM events WHERE root_id=? ORDER BY id", (root_id,)).fetchall()
        return [Event(r["root_id"], r["type"], r["timestamp"], json.loads(r["details"]), r["id"]) for r in rows]

    # --- task tokens ----------------------------------------------------------------------
    def put_token(self, token: str, run_id: str, root_id: str, state: str) -> None:
        with self.transaction() as c:
            c.execute(
                "INSERT OR IGNORE INTO tokens(token, run_id, root_id, state, status) VALUES (?,?,?,?,?)",
                (token, run_id, root_id, state, "WAITING"),
            )

    def get_token(self, token: str) -> dict[str, Any] | None:
        with self.lock:
            row = self._conn.execute("SELECT * FROM tokens WHERE token=?", (token,)).fetchone()
        return None if row is None else dict(row)

    def resolve_token(self, token: str, status: str, output: str | None, error: str | None, cause: str | None) -> bool:
        with self.transaction() as c:
            return (
                c.execute(
                    "UPDATE tokens SET status=?, output=?, error=?, cause=? WHERE token=? AND status='WAITING'",
                    (status, output, error, cause, token),
                ).rowcount
                == 1
            )

    def close_tokens(self, root_id: str) -> None:
        with self.transaction() as c:
            c.execute("UPDATE tokens SET status='CLOSED' WHERE root_id=? AND status='WAITING'", (root_id,))


def _run(row: sqlite3.Row) -> Run:
    return Run(
        id=row["id"],
        root_id=row["root_id"],
        parent_id=row["parent_id"],
        branch_index=row["branch_index"],
        machine=row["machine"],
        name=row["name"],
        status=row["status"],
        definition=json.loads(row["definition"]),
        context=json.loads(row["context"]),
        input=json.loads(row["input"]),
        output=_loads(row["output"]),
        error=row["error"],
        cause=row["cause"],
        start_time=row["start_time"],
        stop_time=row["stop_time"],
        deadline=row["deadline"],
        cursor=json.loads(row["cursor"]),
        wake_at=row["wake_at"],
        wake_kind=row["wake_kind"],
        seq=row["seq"],
    )
