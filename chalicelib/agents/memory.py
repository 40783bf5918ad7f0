"""Agent memory: past prompts and answers, keyed by agent and incident, bounded.

The runtime codes against :class:`MemoryStore` (the same protocol ``chalicelib.store`` exposes),
so the cloud passes its DynamoDB store and the embedded engine its SQLite one. When the caller
passes none, the agent's own ``memory:`` block decides: ``SQLite`` uses the file it names (the
tutorial's ``./incident-diagnostics.db``), ``InMemory`` lives for the run.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections import defaultdict
from typing import Any, Protocol

DEFAULT_MAX_MESSAGES = 50


class MemoryStore(Protocol):
    def append(self, agent: str, key: str, message: dict[str, Any], max_messages: int) -> None: ...

    def recent(self, agent: str, key: str, limit: int) -> list[dict[str, Any]]: ...


class InMemoryStore:
    def __init__(self) -> None:
        self._data: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
        self._lock = threading.Lock()

    def append(self, agent: str, key: str, message: dict[str, Any], max_messages: int) -> None:
        with self._lock:
            items = self._data[(agent, key)]
            items.append(json.loads(json.dumps(message)))  # a copy: callers may mutate theirs
            del items[: max(len(items) - max_messages, 0)]

    def recent(self, agent: str, key: str, limit: int) -> list[dict[str, Any]]:
        with self._lock:
            items = self._data.get((agent, key), [])
            return [dict(m) for m in items[-limit:]] if limit > 0 else []


class SQLiteFileMemory:
    """A single-table SQLite memory for agents whose YAML names a file."""

    def __init__(self, path: str) -> None:
        self._path = path
        with self._connect() as conn:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS agent_memory (agent TEXT, key TEXT, seq INTEGER, data TEXT,"
                " PRIMARY KEY (agent, key, seq))"
            )

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self._path, timeout=10)

    def append(self, agent: str, key: str, message: dict[str, Any], max_messages: int) -> None:
        with self._connect() as conn:
            (last,) = conn.execute(
                "SELECT COALESCE(MAX(seq), 0) FROM agent_memory WHERE agent = ? AND key = ?", (agent, key)
            ).fetchone()
            seq = int(last) + 1
            conn.execute("INSERT INTO agent_memory VALUES (?, ?, ?, ?)", (agent, key, seq, json.dumps(message)))
            conn.execute(
                "DELETE FROM agent_memory WHERE agent = ? AND key = ? AND seq <= ?", (agent, key, seq - max_messages)
            )

    def recent(self, agent: str, key: str, limit: int) -> list[dict[str, Any]]:
        with self._connect() as conn:
            rows = conn.execute(
                "SELECT data FROM agent_memory WHERE agent = ? AND key = ? ORDER BY seq DESC LIMIT ?",
                (agent, key, max(limit, 0)),
            ).fetchall()
        return [dict(json.loads(r[0])) for r in reversed(rows)]


def memory_from_spec(spec: Any, warn: Any) -> tuple[MemoryStore | None, int]:
    """The store an agent's ``memory:`` block asks for, and its ``max_messages``."""
    if spec is None:
        return None, DEFAULT_MAX_MESSAGES
    config = dict(getattr(spec, "config", None) or {})
    max_messages = int(config.get("max_messages") or DEFAULT_MAX_MESSAGES)
    kind = getattr(spec, "type", "InMemory")
    if kind == "SQLite":
        path = str(config.get("path") or "./agent-memory.db")
        try:
            return SQLiteFileMemory(path), max_messages
        except sqlite3.Error as exc:
            warn(f"SQLite memory at {path} unavailable ({exc}); using in-memory memory for this run")
            return InMemoryStore(), max_messages
    if kind == "DynamoDB":
        warn("DynamoDB memory needs the caller's store (AgentRunOptions.memory); using in-memory for this run")
    return InMemoryStore(), max_messages


def history_messages(stored: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Stored turns as a conversation prefix that starts with the user and alternates roles."""
    turns = [m for m in stored if m.get("role") in ("user", "assistant") and isinstance(m.get("content"), str)]
    while turns and turns[0]["role"] != "user":
        turns.pop(0)
    merged: list[dict[str, Any]] = []
    for m in turns:
        if merged and merged[-1]["role"] == m["role"]:
            merged[-1] = {"role": m["role"], "content": f"{merged[-1]['content']}\n\n{m['content']}"}
        else:
            merged.append({"role": m["role"], "content": m["content"]})
    if merged and merged[-1]["role"] == "user":
        merged.pop()  # the new prompt follows; two user turns in a row would be merged anyway
    return merged
