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

import json
import random
import secrets
import threading
from collections.abc import Callable
from typing import Any

from chalicelib.engine import choice, mapstate, paths, templates

from ..observability.runs import log_state
from .clock import Clock, iso
from .definition import RESOURCES
from .errors import StatesError
from .invoker import TaskInvoker, error_of, lambda_envelope
from .mocks import TaskMocks
from .store import RUNNING, EngineStore, Event, Run

REGION = "local"
TIMER = "timer"  # Wait states and Retry backoff: safe to fast-forward in run_until_idle
DEADLINE = "deadline"  # task-token deadlines: only real (or advanced) time reaches them
READY = "ready"


class _Stopped(Exception):
    """The run stopped being RUNNING under us (aborted, timed out): drop the work."""


def _compact(value: Any) -> str:
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


class Interpreter:
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
        except _Stopped:
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
        except _Stopped:
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
        """Commit events and the run's new checkpoint together, or raise _Stopped."""
        with self.store.transaction():
            if not self.store.update_run(run.id, **fields):
                raise _Stopped
            self.store.add_events(events)
        for key, value in fields.items():
            setattr(run, key, value)
        self._emit(events, run)

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
        events = [self._event(run, f"{kind}StateEntered", name=name, input=_compact(cur["input"]))]
        try:
            if kind == "Pass":
                return self._exit(run, events, self._pass_output(run, state))
            if kind == "Choice":
                return self._choose(run, events, state)
            if kind == "Succeed":
                out = paths.select(state.get("OutputPath", "$"), self._effective_input(run, state))
                events.append(self._event(run, "SucceedStateExited", name=name, output=_compact(out)))
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

    # --- tasks ------------------------------------------------------------------------------
    def _schedule_task(self, run: Run, events: list[Event]) -> bool:
        """Compute the parameters (and token) of the next attempt and mark it in flight."""
        state = self._state(run)
        cur = dict(run.cursor)
        run.cursor = cur
        token = secrets.token_urlsafe(24) if state["Resource"].endswith(".waitForTaskToken") else None
        effective = self._effective_input(run, state)
        params = effective
        if "Parameters" in state:
            params = templates.render(state["Parameters"], effective, self._context(run, token))
        now = self.clock.time()
        timeout = state.get("TimeoutSeconds")
        heartbeat = state.get("HeartbeatSeconds")
        cur.update(
            phase="invoke",
            params=params,
            token=token,
            task_deadline=None if timeout is None else now + float(timeout),
            heartbeat_deadline=None if heartbeat is None else now + float(heartbeat),
        )
        kind, resource = _resource_names(state["Resource"])
        events.append(
            self._event(
                run,
                "TaskScheduled",
                resourceType=kind,
                resource=resource,
                region=REGION,
                parameters=_compact(params),
                **({"timeoutInSeconds": timeout} if timeout is not None else {}),
                **({"heartbeatInSeconds": heartbeat} if heartbeat is not None else {}),
            )
        )
        events.append(self._event(run, "TaskStarted", resourceType=kind, resource=resource))
        with self.store.transaction():
            if token is not None:
                self.store.put_token(token, run.id, run.root_id, cur["state"])
            self._save(run, events, cursor=cur, wake_at=now, wake_kind=READY)
        return True

    def _invoke(self, run: Run) -> bool:
        state = self._state(run)
        cur = run.cursor
        kind, resource = _resource_names(state["Resource"])
        if self.mocks is not None and self.mocks.covers(cur["state"]):
            return self._mocked(run, state, kind, resource)
        if state["Resource"] not in RESOURCES:
            raise StatesError("States.Runtime", f"resource {state['Resource']!r} has no mocked response here")
        params = cur["params"]
        key = f"{run.id}:{cur['state']}:{cur['counts'][cur['state']]}"
        token = cur.get("token")
        deadline = cur.get("task_deadline")
        payload = params.get("Payload", {})
        outcome = self._call(str(params["FunctionName"]), payload, token, key, deadline)
        events: list[Event] = []
        if isinstance(outcome, _TimedOut):
            events.append(
                self._event(run, "TaskTimedOut", resourceType=kind, resource=resource, error="States.Timeout", cause="")
            )
            return self._handle_error(run, events, "States.Timeout", "")
        if isinstance(outcome, BaseException):
            # A StatesError is the Lambda service's own refusal (throttled, 5xx, unreachable),
            # which Step Functions names ``Lambda.<ErrorCode>``: the invoker raises it named so.
            error, cause = (outcome.error, outcome.cause) if isinstance(outcome, StatesError) else error_of(outcome)
            events.append(
                self._event(run, "TaskFailed", resourceType=kind, resource=resource, error=error, cause=cause)
            )
            return self._handle_error(run, events, error, cause)
        result = lambda_envelope(outcome)
        if token is None:
            events.append(
                self._event(run, "TaskSucceeded", resourceType=kind, resource=resource, output=_compact(result))
            )
            return self._task_result(run, events, state, result)
        events.append(self._event(run, "TaskSubmitted", resourceType=kind, resource=resource, output=_compact(result)))
        cur = {**cur, "phase": "await_token"}
        # Wake now: the token may have been resolved while the function was still running.
        self._save(run, events, cursor=cur, wake_at=self.clock.time(), wake_kind=READY)
        return True

    def _mocked(self, run: Run, state: dict[str, Any], kind: str, resource: str) -> bool:
        """A Task answered from the mock file: nothing is called, a token task returns at once."""
        assert self.mocks is not None
        outcome = self.mocks.next_outcome(run.root_id, run.cursor["state"])
        if outcome.error is not None:
            event = self._event(
                run, "TaskFailed", resourceType=kind, resource=resource, error=outcome.error, cause=outcome.cause
            )
            return self._handle_error(run, [event], outcome.error, outcome.cause)
        result = json.loads(json.dumps(outcome.result))
        event = self._event(run, "TaskSucceeded", resourceType=kind, resource=resource, output=_compact(result))
        return self._task_result(run, [event], state, result)

    def _call(self, function_name: str, payload: Any, token: str | None, key: str, deadline: float | None) -> Any:
        def call() -> Any:
            try:
                return self.invoker.invoke(function_name, payload, task_token=token, idempotency_key=key)
            except Exception as exc:  # the function's error is the task's outcome
                return exc

        if deadline is None or token is not None:
            return call()
        # A Python call cannot be interrupted: on timeout we stop waiting and discard its result.
        box: list[Any] = []
        worker = threading.Thread(target=lambda: box.append(call()), daemon=True)
        worker.start()
        while worker.is_alive():
            left = deadline - self.clock.time()
            if left <= 0:
                return _TimedOut()
            worker.join(timeout=min(left, 0.05))
        return box[0]

    def _await_token(self, run: Run) -> bool:
        state = self._state(run)
        cur = run.cursor
        kind, resource = _resource_names(state["Resource"])
        record = self.store.get_token(cur["token"])
        status = record["status"] if record else "WAITING"
        if status == "SUCCEEDED" and record is not None:
            output = json.loads(record["output"])
            events = [self._event(run, "TaskSucceeded", resourceType=kind, resource=resource, output=record["output"])]
            return self._task_result(run, events, state, output)
        if status == "FAILED" and record is not None:
            error, cause = record["error"] or "", record["cause"] or ""
            events = [self._event(run, "TaskFailed", resourceType=kind, resource=resource, error=error, cause=cause)]
            return self._handle_error(run, events, error, cause)
        # No heartbeat arrives here (the engine has no SendTaskHeartbeat), so HeartbeatSeconds
        # ends the wait like a second, shorter timeout, with its own error name.
        limits = [
            (d, name)
            for d, name in (
                (cur.get("heartbeat_deadline"), "States.HeartbeatTimeout"),
                (cur.get("task_deadline"), "States.Timeout"),
            )
            if d is not None
        ]
        limits.sort()
        if limits and self.clock.time() >= limits[0][0]:
            error = limits[0][1]
            if not self.store.resolve_token(cur["token"], "TIMED_OUT", None, error, None):
                return True  # resolved in the meantime: read it on the next loop
            event = "TaskTimedOut"
            events = [self._event(run, event, resourceType=kind, resource=resource, error=error, cause="")]
            return self._handle_error(run, events, error, "")
        self._save(run, [], wake_at=limits[0][0] if limits else None, wake_kind=DEADLINE)
        return False

    def _task_result(self, run: Run, events: list[Event], state: dict[str, Any], result: Any) -> bool:
        try:
            if "ResultSelector" in state:
                result = templates.render(state["ResultSelector"], result, self._context(run))
            merged = paths.merge_result(state.get("ResultPath", "$"), run.cursor["input"], result)
            out = paths.select(state.get("OutputPath", "$"), merged)
        except StatesError as err:
            return self._handle_error(run, events, err.error, err.cause)
        return self._exit(run, events, out)

    # --- parallel ---------------------------------------------------------------------------
    def _start_parallel(self, run: Run, events: list[Event], state: dict[str, Any]) -> bool:
        effective = self._effective_input(run, state)
        if "Parameters" in state:
            effective = templates.render(state["Parameters"], effective, self._context(run))
        cur = {**run.cursor, "phase": "parallel"}
        events.append(self._event(run, "ParallelStateStarted"))
        with self.store.transaction():
            cur["children"] = [
                self._spawn(run, cur, i, branch, effective) for i, branch in enumerate(state["Branches"])
            ]
            self._save(run, events, cursor=cur, wake_at=None, wake_kind=None)
        self._wake()
        return False

    def _spawn(self, run: Run, cur: dict[str, Any], index: int, machine: dict[str, Any], data: Any) -> str:
        """Insert one branch or iteration run, due now; its id is unique per entry and attempt."""
        name = cur["state"]
        child_id = f"{run.id}/{name}.{cur['counts'][name]}.{cur.get('retry_count', 0)}.{index}"
        now = self.clock.time()
        self.store.insert_run(
            Run(
                id=child_id,
                root_id=run.root_id,
                parent_id=run.id,
                branch_index=index,
                machine=run.machine,
                name=child_id,
                status=RUNNING,
                definition={"StartAt": machine["StartAt"], "States": machine["States"]},
                context=run.context,
                input=data,
                output=None,
                error=None,
                cause=None,
                start_time=now,
                stop_time=None,
                deadline=run.deadline,
                cursor={"state": machine["StartAt"], "input": data, "phase": "enter"},
                wake_at=now,
                wake_kind=READY,
            )
        )
        return child_id

    def _abort_children(self, children: list[Run | None]) -> None:
        """Abort the running children and everything under them (a branch's own branches and
        iterations too): a run that is no longer RUNNING records nothing more."""
        todo = [c.id for c in children if c is not None and c.status == RUNNING]
        while todo:
            run_id = todo.pop()
            self.store.update_run(run_id, status="ABORTED", stop_time=self.clock.time(), wake_at=None)
            todo.extend(c.id for c in self.store.children(run_id) if c.status == RUNNING)

    def _collect_branches(self, run: Run) -> bool:
        state = self._state(run)
        children = [self.store.get_run(cid) for cid in run.cursor["children"]]
        failed = next((c for c in children if c is not None and c.status == "FAILED"), None)
        if failed is not None:
            self._abort_children(children)
            events = [self._event(run, "ParallelStateFailed")]
            return self._handle_error(run, events, failed.error or "", failed.cause or "")
        if any(c is None or c.status != "SUCCEEDED" for c in children):
            self._save(run, [], wake_at=None, wake_kind=None)
            return False
        results = [c.output for c in children if c is not None]
        events = [self._event(run, "ParallelStateSucceeded")]
        return self._task_result(run, events, state, results)

    # --- map --------------------------------------------------------------------------------
    def _start_map(self, run: Run, events: list[Event], state: dict[str, Any]) -> bool:
        effective = self._effective_input(run, state)
        inputs = mapstate.item_inputs(state, effective, self._context(run))
        limit = mapstate.max_concurrency(state, effective)
        tolerated = mapstate.tolerance(state, effective)
        events.append(self._event(run, "MapStateStarted", length=len(inputs)))
        if not inputs:
            events.append(self._event(run, "MapStateSucceeded"))
            return self._task_result(run, events, state, [])
        cur = {**run.cursor, "phase": "map", "items": inputs, "children": [], "limit": limit, "tolerated": tolerated}
        with self.store.transaction():
            self._launch_iterations(run, cur, state)
            self._save(run, events, cursor=cur, wake_at=None, wake_kind=None)
        self._wake()
        return False

    def _launch_iterations(self, run: Run, cur: dict[str, Any], state: dict[str, Any], running: int = 0) -> None:
        processor = state.get("ItemProcessor") or state["Iterator"]
        limit = cur["limit"] or len(cur["items"])
        while len(cur["children"]) < len(cur["items"]) and running < limit:
            index = len(cur["children"])
            cur["children"].append(self._spawn(run, cur, index, processor, cur["items"][index]))
            running += 1

    def _collect_iterations(self, run: Run) -> bool:
        state = self._state(run)
        cur = dict(run.cursor)
        children = [self.store.get_run(cid) for cid in cur["children"]]
        failed = [c for c in children if c is not None and c.status not in (RUNNING, "SUCCEEDED")]
        verdict = mapstate.failure(failed, len(cur["items"]), cur.get("tolerated"))
        if verdict is not None:
            self._abort_children(children)
            events = [self._event(run, "MapStateFailed")]
            return self._handle_error(run, events, *verdict)
        running = sum(1 for c in children if c is None or c.status == RUNNING)
        if running or len(children) < len(cur["items"]):
            cur["children"] = list(cur["children"])
            self._launch_iterations(run, cur, state, running)
            self._save(run, [], cursor=cur, wake_at=None, wake_kind=None)
            if len(cur["children"]) > len(children):
                self._wake()
            return False
        results = [mapstate.result_of(c) for c in children if c is not None]
        events = [self._event(run, "MapStateSucceeded")]
        return self._task_result(run, events, state, results)

    # --- leaving a state --------------------------------------------------------------------
    def _exit(self, run: Run, events: list[Event], output: Any, next_state: str | None = None) -> bool:
        state = self._state(run)
        name = run.cursor["state"]
        events.append(self._event(run, f"{state['Type']}StateExited", name=name, output=_compact(output)))
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
                events.append(self._event(run, "ExecutionSucceeded", output=_compact(output)))
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
                self.store.close_tokens(run.root_id)
                for child in self.store.descendants_running(run.root_id):
                    self.store.update_run(child, status="ABORTED", stop_time=now, wake_at=None)
            elif run.parent_id is not None:
                # The parent collects when a branch fails or the last one finishes.
                self.store.update_run(run.parent_id, wake_at=now, wake_kind=READY)
        if run.is_root:
            log_state("execution finished", run.context, run.cursor.get("state", ""), 0, status=status)
            self._on_root_finished(run)
        self._wake()
        return False

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
        root.status = status
        log_state("execution finished", root.context, root.cursor.get("state", ""), 0, status=status)
        self._emit(events, root)
        self._on_root_finished(root)
        self._wake()
        return True


class _TimedOut:
    pass


def _resource_names(arn: str) -> tuple[str, str]:
    """(resourceType, resource) as the history shows them: ``lambda``/``invoke``, ``sqs``/``sendMessage``."""
    if arn.startswith("arn:aws:states:::"):
        service, _, action = arn[len("arn:aws:states:::") :].partition(":")
        return service.split(".")[0], action or service
    parts = arn.split(":")
    return (parts[2] if len(parts) > 2 else "unknown"), parts[-1]
