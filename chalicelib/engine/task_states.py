"""Task states: scheduling an attempt, calling the function (or its mock), waiting on a token."""

from __future__ import annotations

import json
import secrets
import threading
from typing import Any

from . import templates
from .definition import RESOURCES
from .errors import StatesError
from .invoker import error_of, lambda_envelope
from .state_base import DEADLINE, READY, REGION, StateMachineCore, compact
from .store import Event, Run


class TaskStates(StateMachineCore):
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
                parameters=compact(params),
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
                self._event(run, "TaskSucceeded", resourceType=kind, resource=resource, output=compact(result))
            )
            return self._task_result(run, events, state, result)
        events.append(self._event(run, "TaskSubmitted", resourceType=kind, resource=resource, output=compact(result)))
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
        event = self._event(run, "TaskSucceeded", resourceType=kind, resource=resource, output=compact(result))
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


class _TimedOut:
    pass


def _resource_names(arn: str) -> tuple[str, str]:
    """(resourceType, resource) as the history shows them: ``lambda``/``invoke``, ``sqs``/``sendMessage``."""
    if arn.startswith("arn:aws:states:::"):
        service, _, action = arn[len("arn:aws:states:::") :].partition(":")
        return service.split(".")[0], action or service
    parts = arn.split(":")
    return (parts[2] if len(parts) > 2 else "unknown"), parts[-1]
