"""Resolving ``.waitForTaskToken`` tasks, from the engine's own process or from another one.

A resolution touches only two rows, under one ``BEGIN IMMEDIATE`` transaction (SQLite's
write lock is shared by every process on the file): the token (``WAITING`` -> its outcome,
conditionally, so it is decided once) and the waiting run's wake-up time. It never steps a
run, so it does not need the in-memory claims that keep two engines off one database: a
running engine's scheduler polls the database at least every half second and picks the run
up; an engine started later picks it up in ``resume()``. This is how ``aofctl approve``
reaches a run that ``aofctl serve`` (another process) is executing.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .clock import Clock, SystemClock
from .errors import InvalidOutput, InvalidToken, TaskDoesNotExist, TaskTimedOut
from .state_base import READY
from .store import RUNNING, EngineStore


def output_text(output: Any) -> str:
    """``output`` as Step Functions takes it (JSON text), or a value to encode."""
    if isinstance(output, str):
        try:
            value = json.loads(output)
        except json.JSONDecodeError as exc:
            raise InvalidOutput(f"task output is not JSON: {exc}") from None
    else:
        value = output
    return json.dumps(value, separators=(",", ":"))


def resolve_token(
    store: EngineStore, now: float, token: str, status: str, output: str | None, error: str | None, cause: str | None
) -> None:
    """Decide the token once and make its run due; raises the Step Functions errors."""
    if not isinstance(token, str) or not token or len(token) > 1024:
        raise InvalidToken("malformed task token")
    with store.transaction():
        record = store.get_token(token)
        if record is None:
            raise TaskDoesNotExist("no task is waiting on this token")
        if not store.resolve_token(token, status, output, error, cause):
            raise TaskTimedOut("the task for this token is no longer waiting", status=record["status"])
        run = store.get_run(record["run_id"])
        if run is not None and run.status == RUNNING and run.cursor.get("phase") == "await_token":
            store.update_run(run.id, wake_at=now, wake_kind=READY)


class TokenClient:
    """``send_task_success``/``send_task_failure`` on an engine database, without an engine."""

    def __init__(self, db_path: str | Path, clock: Clock | None = None) -> None:
        self.store = EngineStore(db_path)
        self.clock: Clock = clock or SystemClock()

    def send_task_success(self, token: str, output: Any) -> None:
        resolve_token(self.store, self.clock.time(), token, "SUCCEEDED", output_text(output), None, None)

    def send_task_failure(self, token: str, error: str = "", cause: str = "") -> None:
        resolve_token(self.store, self.clock.time(), token, "FAILED", None, error, cause)

    def close(self) -> None:
        self.store.close()
