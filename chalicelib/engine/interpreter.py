"""Executing states: one run advances state by state, checkpointing each transition in SQLite.

A run's checkpoint (``cursor``) names the current state, its raw input and a phase:

- ``enter``: the state has not started (or is re-entered after a crash before any effect);
- ``invoke``: a Task is in flight; after a crash it is invoked again with the same
  idempotency key (and the same task token);
- ``await_token``: a ``.waitForTaskToken`` Task waits for send_task_success/failure or its deadline;
- ``retry_wait`` / ``wait``: sleeping until ``wake_at`` (Retry backoff, Wait state);
- ``parallel`` / ``map``: waiting for the branch or iteration runs (child rows) to finish.

Whatever goes wrong inside the interpreter itself fails the run with ``States.Runtime`` (the
cause names the state and the defect): an execution never stays RUNNING because of the engine.
"""

from __future__ import annotations

from typing import Any

from ..observability.runs import log_state
from . import choice, paths, templates
from .branch_states import BranchStates
from .clock import iso
from .errors import StatesError
from .state_base import TIMER, Stopped, compact
from .store import RUNNING, Event, Run
from .task_states import TaskStates

__all__ = ["Interpreter"]


class Interpreter(TaskStates, BranchStates):
    """One run's states, step by step: Task (:class:`.TaskStates`), Parallel and Map
    (:class:`.BranchStates`), and here the driving loop, the simple states and the outcomes
    that end a whole execution."""

    # --- driving ----------------------------------------------------------------------------
    def step(self, run_id: str) -> None:
        """Advance the run until it blocks (waits, parallel, token) or finishes."""
        run = self.store.get_run(run_id)
        try:
            while run is not None and run.status == RUNNING:
                now = self.clock.time()
                if run.deadline is not None and now >= run.deadline:
                    self.time_out(run.root_id)
                    return
                if run.wake_at is None or run.wake_at > now:
                    return
                if not self._advance(run):
                    return
        except Stopped:
            return
        except Exception as exc:  # a defect of ours: end the run rather than leave it RUNNING
            where = "" if run is None else f" in state {run.cursor.get('state')!r}"
            self.fail_internal(run_id, f"internal error{where}: {type(exc).__name__}: {exc}")

    def fail_internal(self, run_id: str, cause: str) -> None:
        """Fail ``run_id`` with States.Runtime from a fresh read (its in-memory copy may be torn).

        A branch or iteration run fails like any other (its parent then fails with the same
        error, which no Catch takes); a root run records ExecutionFailed with the cause.
        """
        run = self.store.get_run(run_id)
        if run is None or run.status != RUNNING:
            return
        try:
            self._finish(run, [], "FAILED", error="States.Runtime", cause=cause)
        except Stopped:
            return

    def _advance(self, run: Run) -> bool:
        phase = run.cursor["phase"]
        try:
            if phase == "enter":
                return self._enter(run)
            if phase == "invoke":
                return self._invoke(run)
            if phase == "await_token":
                # Read-then-park under one transaction so a concurrent send_task_success
                # cannot set wake_at between our read and our write (and be overwritten).
                with self.store.transaction():
                    return self._await_token(run)
            if phase == "retry_wait":
                return self._attempt(run, [], self._state(run))
            if phase == "wait":
                state = self._state(run)
                out = paths.select(state.get("OutputPath", "$"), self._effective_input(run, state))
                return self._exit(run, [], out)
            if phase == "parallel":
                # Same reason: a branch finishing concurrently must not have its wake-up lost.
                with self.store.transaction():
                    return self._collect_branches(run)
            if phase == "map":
                with self.store.transaction():
                    return self._collect_iterations(run)
        except StatesError as err:
            return self._handle_error(run, [], err.error, err.cause)
        raise RuntimeError(f"unknown phase {phase!r}")

    # --- entering a state -------------------------------------------------------------------
    def _enter(self, run: Run) -> bool:
        cur = dict(run.cursor)
        name = cur["state"]
        state = run.definition["States"][name]
        kind = state["Type"]
        counts = dict(cur.get("counts", {}))
        counts[name] = counts.get(name, 0) + 1
        cur.update(
            counts=counts,
            entered_time=iso(self.clock.time()),
            retry_count=0,
            retriers=[0] * len(state.get("Retry", [])),
        )
        run.cursor = cur
        log_state("state entered", run.context, name, 0, type=kind)
        events = [self._event(run, f"{kind}StateEntered", name=name, input=compact(cur["input"]))]
        try:
            if kind == "Pass":
                return self._exit(run, events, self._pass_output(run, state))
            if kind == "Choice":
                return self._choose(run, events, state)
            if kind == "Succeed":
                out = paths.select(state.get("OutputPath", "$"), self._effective_input(run, state))
                events.append(self._event(run, "SucceedStateExited", name=name, output=compact(out)))
                return self._finish(run, events, "SUCCEEDED", output=out)
            if kind == "Fail":
                error, cause = self._fail_fields(run, state)
                return self._finish(run, events, "FAILED", error=error, cause=cause)
            if kind == "Wait":
                return self._start_wait(run, events, state)
            if kind in ("Task", "Parallel", "Map"):
                return self._attempt(run, events, state)
        except StatesError as err:
            return self._handle_error(run, events, err.error, err.cause)
        raise RuntimeError(f"unsupported state type {kind!r}")  # refused at load time

    def _attempt(self, run: Run, events: list[Event], state: dict[str, Any]) -> bool:
        """Start one attempt of a state that Retry may run again (Task, Parallel, Map)."""
        try:
            if state["Type"] == "Parallel":
                return self._start_parallel(run, events, state)
            if state["Type"] == "Map":
                return self._start_map(run, events, state)
            return self._schedule_task(run, events)
        except StatesError as err:
            return self._handle_error(run, events, err.error, err.cause)

    def _fail_fields(self, run: Run, state: dict[str, Any]) -> tuple[str, str]:
        """Error and Cause of a Fail state: literal, or from ErrorPath/CausePath (strings only)."""
        found: list[str] = []
        for field in ("Error", "Cause"):
            value = state.get(field, "")
            if f"{field}Path" in state:
                value = templates.dynamic(state[f"{field}Path"], run.cursor["input"], self._context(run))
                if not isinstance(value, str):
                    raise StatesError("States.Runtime", f"{field}Path gave {value!r}, not a string")
            found.append(value)
        return found[0], found[1]

    def _pass_output(self, run: Run, state: dict[str, Any]) -> Any:
        effective = self._effective_input(run, state)
        if "Parameters" in state:
            effective = templates.render(state["Parameters"], effective, self._context(run))
        result = state["Result"] if "Result" in state else effective
        merged = paths.merge_result(state.get("ResultPath", "$"), run.cursor["input"], result)
        return paths.select(state.get("OutputPath", "$"), merged)

    def _choose(self, run: Run, events: list[Event], state: dict[str, Any]) -> bool:
        effective = self._effective_input(run, state)
        target = next((r["Next"] for r in state["Choices"] if choice.matches(r, effective)), None)
        if target is None:
            target = state.get("Default")
        if target is None:
            raise StatesError("States.NoChoiceMatched", f"No Matches! (state {run.cursor['state']!r})")
        out = paths.select(state.get("OutputPath", "$"), effective)
        return self._exit(run, events, out, next_state=target)

    def _start_wait(self, run: Run, events: list[Event], state: dict[str, Any]) -> bool:
        effective = self._effective_input(run, state)
        now = self.clock.time()
        if "Seconds" in state:
            until = now + float(state["Seconds"])
        elif "SecondsPath" in state:
            seconds = paths.read(state["SecondsPath"], effective)
            # Step Functions takes a non-negative integer only: 0.5 or "5" fail the state.
            if not isinstance(seconds, int) or isinstance(seconds, bool) or seconds < 0:
                raise StatesError("States.Runtime", f"SecondsPath gave {seconds!r}, not a non-negative integer")
            until = now + float(seconds)
        else:
            stamp = state.get("Timestamp") or paths.read(state["TimestampPath"], effective)
            parsed = choice.timestamp(stamp)
            if parsed is None:
                raise StatesError("States.Runtime", f"not an RFC 3339 timestamp: {stamp!r}")
            until = parsed.timestamp()
        cur = {**run.cursor, "phase": "wait"}
        self._save(run, events, cursor=cur, wake_at=until, wake_kind=TIMER)
        return True

    # --- whole-execution outcomes -----------------------------------------------------------
    def time_out(self, root_id: str) -> None:
        self._end_root(root_id, "TIMED_OUT", "ExecutionTimedOut", error="States.Timeout", cause="")

    def abort(self, root_id: str, error: str | None, cause: str | None) -> bool:
        return self._end_root(root_id, "ABORTED", "ExecutionAborted", error=error, cause=cause)

    def _end_root(self, root_id: str, status: str, event_type: str, *, error: str | None, cause: str | None) -> bool:
        root = self.store.get_run(root_id)
        if root is None or root.status not in (RUNNING, "QUEUED"):
            return False
        now = self.clock.time()
        details = {k: v for k, v in (("error", error), ("cause", cause)) if v is not None}
        events = [Event(root_id, event_type, now, details)]
        with self.store.transaction():
            if not self.store.update_run(
                root_id,
                expect=root.status,
                status=status,
                error=error,
                cause=cause,
                stop_time=now,
                wake_at=None,
                wake_kind=None,
            ):
                return False
            for child in self.store.descendants_running(root_id):
                self.store.update_run(child, status="ABORTED", stop_time=now, wake_at=None)
            self.store.close_tokens(root_id)
            if root.status == RUNNING:
                self.store.add_events(events)
            log_state("execution finished", root.context, root.cursor.get("state", ""), 0, status=status)
        root.status = status
        self._emit(events, root)
        self._on_root_finished(root)
        self._wake()
        return True
