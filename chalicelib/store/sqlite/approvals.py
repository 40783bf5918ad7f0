from __future__ import annotations

import sqlite3
from datetime import datetime

from chalicelib.store import codec, rules
from chalicelib.store.records import ApprovalRecord
from chalicelib.store.sqlite.db import Database
from chalicelib.store.timeutil import Clock


def _load(conn: sqlite3.Connection, approval_id: str) -> ApprovalRecord | None:
    row = conn.execute("SELECT data FROM approvals WHERE approval_id = ?", (approval_id,)).fetchone()
    return None if row is None else ApprovalRecord.from_dict(codec.loads(row[0]))


def _save(conn: sqlite3.Connection, a: ApprovalRecord) -> None:
    conn.execute(
        "INSERT OR REPLACE INTO approvals (approval_id, run_id, channel, message_ts, status, expires_at,"
        " created_at, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            a.approval_id,
            a.run_id,
            a.channel,
            a.message_ts,
            a.status,
            a.expires_at,
            a.created_at,
            codec.dumps(a.to_dict()),
        ),
    )


class SqliteApprovalStore:
    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    def put_approval(self, a: ApprovalRecord) -> ApprovalRecord:
        with self._db.write() as conn:
            rules.check_replaceable(_load(conn, a.approval_id), a)
            _save(conn, a)
        return a

    def get_approval(self, approval_id: str) -> ApprovalRecord | None:
        with self._db.read() as conn:
            return _load(conn, approval_id)

    def find_by_message(self, channel: str, message_ts: str) -> ApprovalRecord | None:
        with self._db.read() as conn:
            row = conn.execute(
                "SELECT data FROM approvals WHERE channel = ? AND message_ts = ? ORDER BY created_at DESC LIMIT 1",
                (channel, message_ts),
            ).fetchone()
        return None if row is None else ApprovalRecord.from_dict(codec.loads(row[0]))

    def find_pending_by_run(self, run_id: str) -> list[ApprovalRecord]:
        with self._db.read() as conn:
            rows = conn.execute(
                "SELECT data FROM approvals WHERE run_id = ? AND status = 'pending' AND expires_at > ? "
                "ORDER BY created_at, approval_id",
                (run_id, self._clock()),
            ).fetchall()
        return [ApprovalRecord.from_dict(codec.loads(r[0])) for r in rows]

    def decide(self, approval_id: str, decision: str, by: str, at: datetime) -> ApprovalRecord:
        with self._db.write() as conn:
            current = _load(conn, approval_id)
            if current is None:
                raise rules.approval_not_found(approval_id)
            now = self._clock()
            rules.check_decidable(current, now)
            new = rules.decided(current, decision, by, at)
            # The same condition DynamoDB evaluates; BEGIN IMMEDIATE already makes it hold.
            conn.execute(
                "UPDATE approvals SET status = ?, data = ? "
                "WHERE approval_id = ? AND status = 'pending' AND expires_at > ?",
                (new.status, codec.dumps(new.to_dict()), approval_id, now),
            )
        return new

    def cancel(self, approval_id: str, reason: str) -> ApprovalRecord:
        with self._db.write() as conn:
            current = _load(conn, approval_id)
            if current is None:
                raise rules.approval_not_found(approval_id)
            new = rules.cancelled(current, reason)
            if new is None:
                return current
            _save(conn, new)
        return new
