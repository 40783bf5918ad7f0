"""What every kind of state shares: the run's checkpoint, its events, and leaving a state.

A state is left in one of three ways: to the next state (``_exit``), through Retry or Catch
(``_handle_error``), or by ending its run (``_finish``). Task, Parallel and Map states build on
this core (:mod:`.task_states`, :mod:`.branch_states`); :mod:`.interpreter` drives a run.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from typing import Any

from ..observability.runs import log_state
from . import paths, templates
from .clock import Clock
from .errors import StatesError
from .invoker import TaskInvoker
from .mocks import TaskMocks
from .store import RUNNING, EngineStore, Event, Run

REGION = "local"
TIMER = "timer"  # Wait states and Retry backoff: safe to fast-forward in run_until_idle
DEADLINE = "deadline"  # task-token deadlines: only real (or advanced) time reaches them
READY = "ready"

__all__ = ["DEADLINE", "READY", "REGION", "RUNNING", "TIMER", "StateMachineCore", "error_matches"]


class Stopped(Exception):
    """The run stopped being RUNNING under us (aborted, timed out): drop the work."""


def compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def error_matches(names: list[str], error: str) -> bool:
    for name in names:
        if name == error:
            return True
        # States.ALL and States.TaskFailed never catch States.Runtime (Step Functions rule).
        if name == "States.ALL" and error != "States.Runtime":
            return True
        if name == "States.TaskFailed" and error not in ("States.Timeout", "States.Runtime"):
            return True
    return False


class StateMachineCore:
    """The interpreter's shared state and the ways a state ends; see :class:`.Interpreter`."""

    def __init__(
        self,
        store: EngineStore,
        invoker: TaskInvoker,
        clock: Clock,
        emit: Callable[[list[Event], Run], None],
        wake: Callable[[], None],
        on_root_finished: Callable[[Run], None],
        mocks: TaskMocks | None = None,
    ) -> None:
        self.store = store
        self.mocks = mocks
        self.invoker = invoker
        self.clock = clock
        self._emit = emit
        self._wake = wake
        self._on_root_finished = on_root_finished

    # --- helpers ----------------------------------------------------------------------------
    def _state(self, run: Run) -> dict[str, Any]:
        state: dict[str, Any] = run.definition["States"][run.cursor["state"]]
        return state

    def _event(self, run: Run, type_: str, **details: Any) -> Event:
        return Event(run.root_id, type_, self.clock.time(), details)

    def _context(self, run: Run, token: str | None = None) -> dict[str, Any]:
        cur = run.cursor
        ctx = {
            **run.context,
            "State": {
                "EnteredTime": cur.get("entered_time"),
                "Name": cur["state"],
                "RetryCount": cur.get("retry_count", 0),
            },
        }
        if token is not None:
            ctx["Task"] = {"Token": token}
        return ctx

    def _effective_input(self, run: Run, state: dict[str, Any]) -> Any:
        return paths.select(state.get("InputPath", "$"), run.cursor["input"])

    def _save(self, run: Run, events: list[Event], **fields: Any) -> None:
        """Commit events and the run's new checkpoint together, or raise Stopped."""
        with self.store.transaction():
            if not self.store.update_run(run.id, **fields):
                raise Stopped
            self.store.add_events(events)
        for key, value in fields.items():
            setattr(run, key, value)
        self._emit(events, run)

    def _task_result(self, run: Run, events: list[Event], state: dict[str, Any], result: Any) -> bool:
        try:
            if "ResultSelector" in state:
                result = templates.render(state["ResultSelector"], result, self._context(run))
            merged = paths.merge_result(state.get("ResultPath", "$"), run.cursor["input"], result)
            out = paths.select(state.get("OutputPath", "$"), merged)
        except StatesError as err:
            return self._handle_error(run, events, err.error, err.cause)
        return self._exit(run, events, out)

    # --- leaving a state --------------------------------------------------------------------
    def _exit(self, run: Run, events: list[Event], output: Any, next_state: str | None = None) -> bool:
        state = self._state(run)
        name = run.cursor["state"]
        events.append(self._event(run, f"{state['Type']}StateExited", name=name, output=compact(output)))
        target = next_state if next_state is not None else state.get("Next")
        log_state("state exited", run.context, name, run.cursor.get("retry_count", 0), next=target or "")
        if target is None:
            return self._finish(run, events, "SUCCEEDED", output=output)
        cur = {"state": target, "input": output, "phase": "enter", "counts": run.cursor.get("counts", {})}
        self._save(run, events, cursor=cur, wake_at=self.clock.time(), wake_kind=READY)
        return True

    def _handle_error(self, run: Run, events: list[Event], error: str, cause: str) -> bool:
        state = self._state(run)
        cur = dict(run.cursor)
        log_state("state failed", run.context, cur["state"], cur.get("retry_count", 0), error=error, cause=cause[:500])
        if error != "States.Runtime":
            for i, retrier in enumerate(state.get("Retry", [])):
                if not error_matches(retrier["ErrorEquals"], error):
                    continue
                retriers = list(cur.get("retriers") or [0] * len(state["Retry"]))
                attempts = retriers[i]
                if attempts >= int(retrier.get("MaxAttempts", 3)):
                    break
                delay = float(retrier.get("IntervalSeconds", 1)) * float(retrier.get("BackoffRate", 2.0)) ** attempts
                if "MaxDelaySeconds" in retrier:
                    delay = min(delay, float(retrier["MaxDelaySeconds"]))
                if retrier.get("JitterStrategy") == "FULL":
                    delay = random.uniform(0, delay)  # noqa: S311 - jitter, not security
                retriers[i] = attempts + 1
                cur.update(phase="retry_wait", retriers=retriers, retry_count=cur.get("retry_count", 0) + 1)
                log_state("state retried", run.context, cur["state"], cur["retry_count"], delay_seconds=round(delay, 3))
                self._save(run, events, cursor=cur, wake_at=self.clock.time() + delay, wake_kind=TIMER)
                return True
            for catcher in state.get("Catch", []):
                if error_matches(catcher["ErrorEquals"], error):
                    try:
                        output = paths.merge_result(
                            catcher.get("ResultPath", "$"), cur["input"], {"Error": error, "Cause": cause}
                        )
                    except StatesError as err:  # the catcher's own ResultPath fails: no second catch
                        return self._finish(run, events, "FAILED", error=err.error, cause=err.cause)
                    return self._exit(run, events, output, next_state=catcher["Next"])
        return self._finish(run, events, "FAILED", error=error, cause=cause)

    def _finish(
        self,
        run: Run,
        events: list[Event],
        status: str,
        *,
        output: Any = None,
        error: str | None = None,
        cause: str | None = None,
    ) -> bool:
        now = self.clock.time()
        if run.is_root:
            if status == "SUCCEEDED":
                events.append(self._event(run, "ExecutionSucceeded", output=compact(output)))
            else:
                events.append(self._event(run, "ExecutionFailed", error=error, cause=cause))
        with self.store.transaction():
            self._save(
                run,
                events,
                status=status,
                output=output,
                error=error,
                cause=cause,
                stop_time=now,
                wake_at=None,
                wake_kind=None,
            )
            if run.is_root:
                # Logged before the commit makes the end visible: whoever waits for the
                # execution then finds its last line already written.
                log_state("execution finished", run.context, run.cursor.get("state", ""), 0, status=status)
                self.store.close_tokens(run.root_id)
                for child in self.store.descendants_running(run.root_id):
                    self.store.update_run(child, status="ABORTED", stop_time=now, wake_at=None)
            elif run.parent_id is not None:
                # The parent collects when a branch fails or the last one finishes.
                self.store.update_run(run.parent_id, wake_at=now, wake_kind=READY)
        if run.is_root:
            self._on_root_finished(run)
        self._wake()
        return False
