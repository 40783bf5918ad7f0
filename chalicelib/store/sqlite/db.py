"""SQLite connections and schema.

A file database gets one connection per thread (and per process, after a fork) in WAL mode, so
readers never block the writer and the engine and the web server can share the file. Every
read-modify-write runs in ``BEGIN IMMEDIATE``, which takes SQLite's write lock up front: two
writers, in threads or processes, are serialised instead of both reading stale state.
``:memory:`` exists once per connection, so it gets a single connection behind a lock.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from chalicelib.errors import StoreUnavailable

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS deliveries (
        delivery_id TEXT PRIMARY KEY, expires_at REAL NOT NULL, data TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS runs (
        run_id TEXT PRIMARY KEY, flow TEXT NOT NULL, incident_id TEXT,
        started_at TEXT NOT NULL, data TEXT NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS runs_by_start ON runs (started_at, run_id)",
    "CREATE INDEX IF NOT EXISTS runs_by_flow ON runs (flow, started_at, run_id)",
    "CREATE INDEX IF NOT EXISTS runs_by_incident ON runs (incident_id, started_at, run_id)",
    """CREATE TABLE IF NOT EXISTS run_events (
        run_id TEXT NOT NULL, seq INTEGER NOT NULL, data TEXT NOT NULL,
        PRIMARY KEY (run_id, seq))""",
    """CREATE TABLE IF NOT EXISTS approvals (
        approval_id TEXT PRIMARY KEY, run_id TEXT NOT NULL, channel TEXT, message_ts TEXT,
        status TEXT NOT NULL, expires_at REAL NOT NULL, created_at TEXT NOT NULL,
        data TEXT NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS approvals_by_run ON approvals (run_id, created_at)",
    "CREATE INDEX IF NOT EXISTS approvals_by_message ON approvals (channel, message_ts)",
    """CREATE TABLE IF NOT EXISTS memory (
        agent TEXT NOT NULL, key TEXT NOT NULL, seq INTEGER NOT NULL, data TEXT NOT NULL,
        PRIMARY KEY (agent, key, seq))""",
    """CREATE TABLE IF NOT EXISTS slots (
        scope TEXT NOT NULL, holder TEXT NOT NULL, expires_at REAL NOT NULL,
        PRIMARY KEY (scope, holder))""",
    """CREATE TABLE IF NOT EXISTS budget_uses (
        scope TEXT NOT NULL, key TEXT NOT NULL, at REAL NOT NULL, PRIMARY KEY (scope, key))""",
    """CREATE TABLE IF NOT EXISTS artifacts (
        run_id TEXT NOT NULL, name TEXT NOT NULL, content_type TEXT NOT NULL,
        content BLOB NOT NULL, PRIMARY KEY (run_id, name))""",
    """CREATE TABLE IF NOT EXISTS idempotency (
        key TEXT PRIMARY KEY, expires_at REAL NOT NULL, data TEXT NOT NULL)""",
)

BUSY_TIMEOUT_SECONDS = 30.0


class Database:
    def __init__(self, path: str, *, busy_timeout: float = BUSY_TIMEOUT_SECONDS) -> None:
        self.path = path
        self._busy_timeout = busy_timeout
        self._memory = path == ":memory:"
        # Only ``:memory:`` needs it; for files an uncontended RLock costs next to nothing.
        self._lock = threading.RLock() if self._memory else None
        self._local = threading.local()
        self._pid = os.getpid()
        self._opened: list[sqlite3.Connection] = []
        self._opened_lock = threading.Lock()
        self._shared = self._connect() if self._memory else None
        with self.write() as conn:
            for statement in SCHEMA:
                conn.execute(statement)

    def _connect(self) -> sqlite3.Connection:
        # isolation_level=None: we issue BEGIN/COMMIT ourselves instead of Python's implicit ones.
        conn = sqlite3.connect(self.path, timeout=self._busy_timeout, isolation_level=None, check_same_thread=False)
        conn.execute(f"PRAGMA busy_timeout = {int(self._busy_timeout * 1000)}")
        if not self._memory:
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
        with self._opened_lock:
            self._opened.append(conn)
        return conn

    def _connection(self) -> sqlite3.Connection:
        if self._shared is not None:
            return self._shared
        if os.getpid() != self._pid:
            # A connection must not cross a fork: start afresh in the child.
            self._pid = os.getpid()
            self._local = threading.local()
            self._opened = []
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._connect()
            self._local.conn = conn
        return conn

    @contextmanager
    def _guard(self) -> Iterator[None]:
        if self._lock is None:
            yield
            return
        with self._lock:
            yield

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """A connection inside ``BEGIN IMMEDIATE``, committed on success, rolled back on error."""
        with self._guard():
            conn = self._connection()
            try:
                conn.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as err:
                raise StoreUnavailable(f"SQLite database {self.path} is busy: {err}") from err
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            try:
                conn.execute("COMMIT")
            except sqlite3.OperationalError as err:
                conn.execute("ROLLBACK")
                raise StoreUnavailable(f"SQLite commit failed on {self.path}: {err}") from err

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        with self._guard():
            try:
                yield self._connection()
            except sqlite3.OperationalError as err:
                if "locked" in str(err) or "busy" in str(err):
                    raise StoreUnavailable(f"SQLite database {self.path} is busy: {err}") from err
                raise

    def close(self) -> None:
        with self._opened_lock:
            opened, self._opened = self._opened, []
        for conn in opened:
            conn.close()
        self._local = threading.local()
        self._shared = None
