"""The embedded engine: registers machines, starts executions, runs them on worker threads."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from chalicelib import settings
from chalicelib.engine import definition as definition_mod

from .clock import Clock, SystemClock, iso
from .errors import (
    ExecutionAlreadyExists,
    ExecutionDoesNotExist,
    StateMachineDoesNotExist,
)
from .events import to_history
from .interpreter import Interpreter
from .invoker import TaskInvoker
from .mocks import TaskMocks
from .models import ExecutionDescription, ProgressEvent
from .state_base import READY, TIMER
from .store import QUEUED, RUNNING, EngineStore, Event, Run
from .tokens import output_text, resolve_token

ACCOUNT = "000000000000"
REGION = "local"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/aof-local"

Subscriber = Callable[[ProgressEvent], None]


def state_machine_arn(name: str) -> str:
    return f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{name}"


def execution_arn(machine: str, name: str) -> str:
    return f"arn:aws:states:{REGION}:{ACCOUNT}:execution:{machine}:{name}"


class Engine:
    """Durable ASL interpreter. ``start()`` runs executions on background threads;
    tests may instead drive it with ``run_until_idle()``."""

    def __init__(
        self,
        db_path: str | Path | None,
        invoker: TaskInvoker,
        *,
        max_workers: int = 4,
        clock: Clock | None = None,
        env: Mapping[str, str] | None = None,
        mocks: TaskMocks | None = None,
    ) -> None:
        """``mocks``: Task results from a MockConfigFile test case (``aofctl states run``); with
        them, Task states may name any resource, and the mocked ones call nothing."""
        self.db_path = Path(db_path) if db_path is not None else settings.db_path(env)
        self.store = EngineStore(self.db_path)
        self.clock: Clock = clock or SystemClock()
        self.max_workers = max_workers
        self._subscribers: list[Subscriber] = []
        self._cond = threading.Condition()
        self._inflight: set[str] = set()
        self._pool: ThreadPoolExecutor | None = None
        self._loop_thread: threading.Thread | None = None
        self._stopping = False
        self.mocks = mocks
        self.interpreter = Interpreter(
            self.store, invoker, self.clock, self._publish, self._wake, self._promote_queued, mocks
        )

    # --- machines ---------------------------------------------------------------------------
    def register_state_machine(
        self, name: str, definition: dict[str, Any], *, max_concurrent: int | None = None
    ) -> str:
        """Validate (refusing unsupported ASL with state and field named) and store; returns its ARN."""
        definition_mod.validate(definition, any_resource=self.mocks is not None)
        self.store.put_machine(name, definition, max_concurrent)
        return state_machine_arn(name)

    # --- executions -------------------------------------------------------------------------
    def start_execution(self, state_machine: str, name: str | None = None, input: Any = None) -> str:
        machine = self.store.get_machine(_machine_name(state_machine))
        if machine is None:
            raise StateMachineDoesNotExist(f"state machine {state_machine!r} is not registered")
        definition, limit = machine
        sm = _machine_name(state_machine)
        name = name or str(uuid.uuid4())
        run_id = execution_arn(sm, name)
        now = self.clock.time()
        data = {} if input is None else json.loads(json.dumps(input))
        with self.store.transaction():
            if self.store.root_exists(sm, name):
                existing = self.store.get_run(run_id)
                raise ExecutionAlreadyExists(
                    f"execution {name!r} already exists for {sm!r}",
                    existing={"execution_id": run_id, "status": existing.status if existing else None},
                )
            queued = limit is not None and self.store.count_status(sm, RUNNING) >= limit
            run = Run(
                id=run_id,
                root_id=run_id,
                parent_id=None,
                branch_index=None,
                machine=sm,
                name=name,
                status=QUEUED if queued else RUNNING,
                definition=definition,
                context={
                    "Execution": {
                        "Id": run_id,
                        "Input": data,
                        "Name": name,
                        "RoleArn": ROLE_ARN,
                        "StartTime": iso(now),
                    },
                    "StateMachine": {"Id": state_machine_arn(sm), "Name": sm},
                },
                input=data,
                output=None,
                error=None,
                cause=None,
                start_time=now,
                stop_time=None,
                deadline=None,
                cursor={"state": definition["StartAt"], "input": data, "phase": "enter"},
                wake_at=None,
                wake_kind=None,
            )
            self.store.insert_run(run)
            if not queued:
                self._begin(run, now)
        self._wake()
        return run_id

    def _begin(self, run: Run, now: float) -> None:
        """Move a run to RUNNING: record ExecutionStarted and arm the machine timeout."""
        timeout = run.definition.get("TimeoutSeconds")
        deadline = None if timeout is None else now + float(timeout)
        self.store.update_run(run.id, expect=None, status=RUNNING, deadline=deadline, wake_at=now, wake_kind=READY)
        ev = Event(run.id, "ExecutionStarted", now, {"input": json.dumps(run.input), "roleArn": ROLE_ARN})
        self.store.add_events([ev])
        self._publish([ev], run)

    def _promote_queued(self, finished: Run) -> None:
        self._promote(finished.machine)

    def _promote(self, machine_name: str) -> None:
        """Start the oldest queued executions while the machine is under its limit."""
        machine = self.store.get_machine(machine_name)
        if machine is None or machine[1] is None:
            return
        with self.store.transaction():
            free = machine[1] - self.store.count_status(machine_name, RUNNING)
            if free > 0:
                for run in self.store.oldest_queued(machine_name, free):
                    self._begin(run, self.clock.time())
        self._wake()

    def send_task_success(self, token: str, output: Any) -> None:
        """Resolve a ``.waitForTaskToken`` task. ``output``: JSON text (as Step Functions takes) or a value."""
        self._resolve(token, "SUCCEEDED", output_text(output), None, None)

    def send_task_failure(self, token: str, error: str = "", cause: str = "") -> None:
        self._resolve(token, "FAILED", None, error, cause)

    def _resolve(self, token: str, status: str, output: str | None, error: str | None, cause: str | None) -> None:
        resolve_token(self.store, self.clock.time(), token, status, output, error, cause)
        self._wake()

    def stop_execution(self, execution_id: str, error: str | None = None, cause: str | None = None) -> None:
        self._get(execution_id)
        self.interpreter.abort(execution_id, error, cause)

    def describe(self, execution_id: str) -> ExecutionDescription:
        run = self._get(execution_id)
        return _describe(run)

    def history(self, execution_id: str) -> list[dict[str, Any]]:
        self._get(execution_id)
        return to_history(self.store.events(execution_id))

    def state_sequence(self, execution_id: str) -> list[str]:
        """Names of the states entered, in order."""
        return [
            e["stateEnteredEventDetails"]["name"]
            for e in self.history(execution_id)
            if e["type"].endswith("StateEntered")
        ]

    def list_executions(
        self, state_machine: str | None = None, status: str | None = None
    ) -> list[ExecutionDescription]:
        sm = None if state_machine is None else _machine_name(state_machine)
        return [_describe(r) for r in self.store.list_roots(sm, status)]

    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        """Call ``callback`` with every history event as it is recorded; returns an unsubscribe."""
        self._subscribers.append(callback)
        return lambda: self._subscribers.remove(callback)

    def _get(self, execution_id: str) -> Run:
        run = self.store.get_run(execution_id)
        if run is None or not run.is_root:
            raise ExecutionDoesNotExist(f"no execution {execution_id!r}")
        return run

    def _publish(self, events: list[Event], run: Run) -> None:
        if not self._subscribers:
            return
        for ev in events:
            progress = ProgressEvent(
                execution_id=ev.root_id,
                state_machine=run.machine,
                type=ev.type,
                timestamp=datetime.fromtimestamp(ev.timestamp, UTC),
                details=ev.details,
            )
            for callback in list(self._subscribers):
                callback(progress)

    # --- workers ----------------------------------------------------------------------------
    def resume(self) -> int:
        """Pick up unfinished runs after a restart: every RUNNING run is made due now.

        A task that was in flight is invoked again with the same idempotency key. Returns the
        number of runs resumed.
        """
        now = self.clock.time()
        count = 0
        for run in self.store.list_roots(None, RUNNING):
            for rid in [run.id, *self.store.descendants_running(run.id)]:
                r = self.store.get_run(rid)
                # Runs waiting on a token or on branches keep waiting (the deadline is stored).
                if r is not None and r.cursor.get("phase") in ("enter", "invoke") and r.wake_at is None:
                    self.store.update_run(rid, wake_at=now, wake_kind=READY)
            count += 1
        # A crash between a run finishing and the next queued one starting leaves a free slot.
        for machine in self.store.machines():
            self._promote(machine)
        self._wake()
        return count

    def _ensure_pool(self) -> ThreadPoolExecutor:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=self.max_workers, thread_name_prefix="aof-engine")
        return self._pool

    def _wake(self) -> None:
        with self._cond:
            self._cond.notify_all()

    def _dispatch_due(self) -> int:
        pool = self._ensure_pool()
        with self._cond:
            free = self.max_workers * 2 - len(self._inflight)
            inflight = set(self._inflight)
        if free <= 0:
            return 0
        # The store is read outside the condition: a worker holding the store lock may call
        # _wake() (which takes the condition), and taking them in both orders deadlocks.
        due = self.store.due(self.clock.time(), inflight, limit=free)
        started = 0
        with self._cond:
            for rid in due:
                if rid in self._inflight:
                    continue  # another dispatcher took it meanwhile
                self._inflight.add(rid)
                pool.submit(self._work, rid)
                started += 1
        return started

    def _work(self, run_id: str) -> None:
        try:
            self.interpreter.step(run_id)
        finally:
            with self._cond:
                self._inflight.discard(run_id)
                self._cond.notify_all()

    def run_until_idle(self, timeout: float = 30.0) -> None:
        """Run until nothing is runnable. Wait states and retry backoff are slept through on
        the engine's clock (instant with a FakeClock); token waits and timeouts are not."""
        limit = time.monotonic() + timeout
        while True:
            if time.monotonic() > limit:
                raise TimeoutError(f"engine not idle after {timeout}s")
            started = self._dispatch_due()
            with self._cond:
                if self._inflight:
                    self._cond.wait(timeout=0.05)
                    continue
            if started:
                continue
            # A run made due while its previous step was still in flight was skipped by the
            # dispatch above; its worker may have finished since. Look again before calling it idle.
            if self.store.due(self.clock.time(), set(), limit=1):
                continue
            nxt = self.store.next_wake((TIMER,))
            if nxt is None:
                return
            self.clock.sleep(nxt - self.clock.time())

    def start(self) -> None:
        """Run executions on background threads until ``stop()``."""
        if self._loop_thread is not None:
            return
        self._stopping = False
        self.resume()
        self._loop_thread = threading.Thread(target=self._loop, name="aof-engine-scheduler", daemon=True)
        self._loop_thread.start()

    def _loop(self) -> None:
        while not self._stopping:
            self._dispatch_due()
            nxt = self.store.next_wake()
            with self._cond:
                if self._stopping:
                    return
                wait = 0.5 if nxt is None else min(0.5, nxt - self.clock.time())
                # Due runs still in flight: a finishing worker notifies us, so do not spin.
                self._cond.wait(timeout=wait if wait > 0 else 0.05)

    def stop(self, wait: bool = True) -> None:
        self._stopping = True
        self._wake()
        if self._loop_thread is not None:
            self._loop_thread.join()
            self._loop_thread = None
        if self._pool is not None:
            self._pool.shutdown(wait=wait)
            self._pool = None

    def close(self) -> None:
        self.stop()
        self.store.close()

    def wait_for(self, execution_id: str, timeout: float = 30.0) -> ExecutionDescription:
        """Block until the execution ends (needs ``start()``)."""
        limit = time.monotonic() + timeout
        while True:
            desc = self.describe(execution_id)
            if desc.status not in ("RUNNING", "QUEUED"):
                return desc
            if time.monotonic() > limit:
                raise TimeoutError(f"{execution_id} still {desc.status}")
            with self._cond:
                self._cond.wait(timeout=0.05)


def _machine_name(state_machine: str) -> str:
    return state_machine.rsplit(":", 1)[-1] if state_machine.startswith("arn:") else state_machine


def _describe(run: Run) -> ExecutionDescription:
    return ExecutionDescription(
        execution_id=run.id,
        name=run.name,
        state_machine=run.machine,
        status=run.status,  # type: ignore[arg-type]
        input=run.input,
        output=run.output,
        start_date=datetime.fromtimestamp(run.start_time, UTC),
        stop_date=None if run.stop_time is None else datetime.fromtimestamp(run.stop_time, UTC),
        error=run.error,
        cause=run.cause,
    )
