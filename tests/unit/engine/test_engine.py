"""Engine behaviour a user notices: durability across restarts, approvals, limits, timeouts."""

from __future__ import annotations

import itertools
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from chalicelib.engine.clock import FakeClock, SystemClock
from chalicelib.engine.engine import Engine
from chalicelib.engine.errors import (
    ExecutionAlreadyExists,
    ExecutionDoesNotExist,
    InvalidOutput,
    TaskDoesNotExist,
    TaskTimedOut,
)
from chalicelib.engine.invoker import FunctionInvoker
from chalicelib.engine.models import ProgressEvent
from chalicelib.errors import AlreadyExists
from tests.support.engine_flows import FN, INVOKE, INVOKE_WAIT, Stubs, incident, incident_flow


def approval_only(timeout: int | None = 3600) -> dict[str, Any]:
    state: dict[str, Any] = {
        "Type": "Task",
        "Resource": INVOKE_WAIT,
        "Parameters": {
            "FunctionName": FN.format("approval_node"),
            "Payload": {"node": {"id": "approve"}, "task_token.$": "$$.Task.Token"},
        },
        "ResultPath": "$.decision",
        "Catch": [{"ErrorEquals": ["States.Timeout"], "ResultPath": "$.timeout", "Next": "timed-out"}],
        "Next": "done",
    }
    if timeout:
        state["TimeoutSeconds"] = timeout
    return {
        "StartAt": "approve",
        "States": {"approve": state, "done": {"Type": "Succeed"}, "timed-out": {"Type": "Fail", "Error": "Late"}},
    }


class Recorder:
    def __init__(self, results: dict[str, Any] | None = None) -> None:
        self.calls: list[dict[str, Any]] = []
        self.results = results or {}

    def invoke(
        self, function_name: str, payload: dict[str, Any], *, task_token: str | None, idempotency_key: str
    ) -> Any:
        self.calls.append({"function": function_name, "payload": payload, "token": task_token, "key": idempotency_key})
        result = self.results.get(payload.get("node", {}).get("id", ""))
        if isinstance(result, Exception):
            raise result
        return result if result is not None else {"ok": True}


def test_waiting_approval_survives_a_restart_and_is_then_resolved(db: Path, clock: FakeClock) -> None:
    posted = Recorder()  # stands in for the approval Lambda that posts to Slack and keeps the token
    first = Engine(db, posted, clock=clock)
    first.register_state_machine("approvals", approval_only())
    execution = first.start_execution("approvals", "inc-1", {"incident": "TEST002"})
    first.run_until_idle()
    assert first.describe(execution).status == "RUNNING"
    token = posted.calls[0]["payload"]["task_token"]
    assert token == posted.calls[0]["token"]
    first.close()

    recorder = Recorder()
    second = Engine(db, recorder, clock=clock)
    assert second.resume() == 1
    second.run_until_idle()
    assert recorder.calls == [], "a submitted approval must not be re-sent after a restart"
    second.send_task_success(token, '{"approved": true, "by": "U42"}')
    second.run_until_idle()
    desc = second.describe(execution)
    assert desc.status == "SUCCEEDED"
    assert desc.output == {"incident": "TEST002", "decision": {"approved": True, "by": "U42"}}
    second.close()


def test_approval_deadline_is_stored_and_fires_after_a_restart(db: Path, clock: FakeClock) -> None:
    first = Engine(db, Recorder(), clock=clock)
    first.register_state_machine("approvals", approval_only(timeout=600))
    execution = first.start_execution("approvals", "inc-2", {})
    first.run_until_idle()
    first.close()

    clock.advance(601)  # the process was down past the approval deadline
    second = Engine(db, Recorder(), clock=clock)
    second.resume()
    second.run_until_idle()
    desc = second.describe(execution)
    assert (desc.status, desc.error) == ("FAILED", "Late")
    types = [e["type"] for e in second.history(execution)]
    assert "TaskTimedOut" in types
    second.close()


@pytest.mark.parametrize(("wait", "error"), [(31, "States.HeartbeatTimeout"), (29, None)])
def test_heartbeat_seconds_ends_a_token_wait_that_hears_nothing(
    engine: Engine, clock: FakeClock, wait: int, error: str | None
) -> None:
    definition = approval_only(timeout=600)
    definition["States"]["approve"]["HeartbeatSeconds"] = 30
    definition["States"]["approve"]["Catch"] = [
        {"ErrorEquals": ["States.HeartbeatTimeout"], "ResultPath": "$.timeout", "Next": "timed-out"}
    ]
    engine.register_state_machine("approvals", definition)
    execution = engine.start_execution("approvals", "inc-hb", {})
    engine.run_until_idle()
    clock.advance(wait)
    engine.run_until_idle()
    desc = engine.describe(execution)
    if error is None:
        assert desc.status == "RUNNING"
    else:
        assert (desc.status, desc.error) == ("FAILED", "Late")
        timed_out = [e for e in engine.history(execution) if e["type"] == "TaskTimedOut"]
        assert timed_out[0]["taskTimedOutEventDetails"]["error"] == error


def test_token_errors_mirror_step_functions(engine: Engine) -> None:
    engine.register_state_machine("approvals", approval_only())
    execution = engine.start_execution("approvals", "inc-3", {})
    engine.run_until_idle()
    token = engine.store.get_run(execution).cursor["token"]  # type: ignore[union-attr]
    with pytest.raises(TaskDoesNotExist):
        engine.send_task_success("no-such-token", "{}")
    with pytest.raises(InvalidOutput):
        engine.send_task_success(token, "not json")
    engine.send_task_failure(token, "Rejected", "no")
    with pytest.raises(TaskTimedOut):
        engine.send_task_success(token, "{}")
    engine.run_until_idle()
    desc = engine.describe(execution)
    assert (desc.status, desc.error, desc.cause) == ("FAILED", "Rejected", "no")


def test_duplicate_name_is_refused_like_step_functions(engine: Engine) -> None:
    engine.register_state_machine("incident", incident_flow())
    engine.start_execution("incident", "TEST001-evt1", incident("TEST001"))
    with pytest.raises(ExecutionAlreadyExists) as info:
        engine.start_execution("incident", "TEST001-evt1", incident("TEST001"))
    assert isinstance(info.value, AlreadyExists)
    with pytest.raises(ExecutionDoesNotExist):
        engine.describe("arn:aws:states:local:000000000000:execution:incident:nope")


def test_idempotency_key_and_context_object(engine: Engine, clock: FakeClock, db: Path) -> None:
    recorder = Recorder({"flaky": RuntimeError("try again")})
    eng = Engine(db.with_name("ctx.db"), recorder, clock=clock)
    eng.register_state_machine(
        "m",
        {
            "StartAt": "flaky",
            "States": {
                "flaky": {
                    "Type": "Task",
                    "Resource": INVOKE,
                    "End": True,
                    "Parameters": {
                        "FunctionName": FN.format("x"),
                        "Payload": {
                            "node": {"id": "flaky"},
                            "retry.$": "$$.State.RetryCount",
                            "name.$": "$$.Execution.Name",
                            "state.$": "$$.State.Name",
                            "input.$": "$$.Execution.Input",
                            "id.$": "$$.Execution.Id",
                        },
                    },
                    "Retry": [
                        {
                            "ErrorEquals": ["RuntimeError"],
                            "IntervalSeconds": 2,
                            "BackoffRate": 3,
                            "MaxDelaySeconds": 5,
                            "MaxAttempts": 2,
                        }
                    ],
                }
            },
        },
    )
    execution = eng.start_execution("m", "r1", {"k": 1})
    eng.run_until_idle()
    assert [c["payload"]["retry"] for c in recorder.calls] == [0, 1, 2]
    assert {c["key"] for c in recorder.calls} == {f"{execution}:flaky:1"}
    assert recorder.calls[0]["payload"] | {"retry": 0} == {
        "node": {"id": "flaky"},
        "retry": 0,
        "name": "r1",
        "state": "flaky",
        "input": {"k": 1},
        "id": execution,
    }
    scheduled = [datetime.fromisoformat(e["timestamp"]) for e in eng.history(execution) if e["type"] == "TaskScheduled"]
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(scheduled)]
    assert gaps == [2.0, 5.0]  # 2, then 2*3=6 capped by MaxDelaySeconds
    desc = eng.describe(execution)
    assert (desc.status, desc.error) == ("FAILED", "RuntimeError")
    assert desc.cause == '{"errorMessage":"try again","errorType":"RuntimeError"}'
    eng.close()


def test_runtime_errors_are_not_caught_by_states_all(engine: Engine) -> None:
    engine.register_state_machine(
        "m",
        {
            "StartAt": "t",
            "States": {
                "t": {
                    "Type": "Task",
                    "Resource": INVOKE,
                    "End": True,
                    "Parameters": {"FunctionName": "f", "Payload": {"v.$": "$.missing"}},
                    "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "ok"}],
                },
                "ok": {"Type": "Succeed"},
            },
        },
    )
    execution = engine.start_execution("m", "r", {})
    engine.run_until_idle()
    assert engine.describe(execution).error == "States.Runtime"


def test_parallel_branch_failure_is_caught_by_the_parallel_state(db: Path, clock: FakeClock) -> None:
    class Broken(Exception):
        pass

    eng = Engine(db, Recorder({"bad": Broken("x")}), clock=clock)

    def branch(node):
        return {
            "StartAt": node,
            "States": {
                node: {
                    "Type": "Task",
                    "Resource": INVOKE,
                    "End": True,
                    "Parameters": {"FunctionName": "f", "Payload": {"node": {"id": node}}},
                }
            },
        }

    eng.register_state_machine(
        "m",
        {
            "StartAt": "p",
            "States": {
                "p": {
                    "Type": "Parallel",
                    "Branches": [branch("good"), branch("bad")],
                    "End": True,
                    "Catch": [{"ErrorEquals": ["Broken"], "ResultPath": "$.err", "Next": "handled"}],
                },
                "handled": {"Type": "Pass", "End": True},
            },
        },
    )
    execution = eng.start_execution("m", "r", {"a": 1})
    eng.run_until_idle()
    desc = eng.describe(execution)
    assert desc.status == "SUCCEEDED"
    assert desc.output["err"]["Error"] == "Broken"
    eng.close()


def test_task_timeout_on_a_slow_handler(tmp_path: Path) -> None:
    def slow(name: str, payload: dict[str, Any]) -> Any:
        time.sleep(1.5)
        return {}

    eng = Engine(tmp_path / "t.db", FunctionInvoker(slow), clock=SystemClock())
    eng.register_state_machine(
        "m",
        {
            "StartAt": "t",
            "States": {
                "t": {
                    "Type": "Task",
                    "Resource": INVOKE,
                    "TimeoutSeconds": 1,
                    "End": True,
                    "Parameters": {"FunctionName": "f", "Payload": {}},
                }
            },
        },
    )
    execution = eng.start_execution("m", "r", {})
    eng.run_until_idle()
    desc = eng.describe(execution)
    assert (desc.status, desc.error) == ("FAILED", "States.Timeout")
    assert "TaskTimedOut" in [e["type"] for e in eng.history(execution)]
    eng.close()


def test_wait_seconds_path_uses_the_engine_clock(engine: Engine) -> None:
    engine.register_state_machine(
        "m",
        {
            "StartAt": "w",
            "States": {"w": {"Type": "Wait", "SecondsPath": "$.delay", "Next": "d"}, "d": {"Type": "Succeed"}},
        },
    )
    execution = engine.start_execution("m", "r", {"delay": 3600})
    engine.run_until_idle()  # an hour on the fake clock, instantly
    desc = engine.describe(execution)
    assert desc.status == "SUCCEEDED"
    assert desc.stop_date is not None and (desc.stop_date - desc.start_date).total_seconds() == 3600


def test_max_concurrent_queues_extra_executions_in_order(engine: Engine) -> None:
    engine.register_state_machine("approvals", approval_only(), max_concurrent=1)
    ids = [engine.start_execution("approvals", f"r{i}", {"i": i}) for i in range(3)]
    engine.run_until_idle()
    assert [engine.describe(i).status for i in ids] == ["RUNNING", "QUEUED", "QUEUED"]
    order = []
    for _ in range(3):
        running = [i for i in ids if engine.describe(i).status == "RUNNING"]
        assert len(running) == 1
        order.append(running[0])
        token = engine.store.get_run(running[0]).cursor["token"]  # type: ignore[union-attr]
        engine.send_task_success(token, "{}")
        engine.run_until_idle()
    assert order == ids
    assert [engine.describe(i).status for i in ids] == ["SUCCEEDED"] * 3


def test_stop_execution_aborts_and_closes_the_token(engine: Engine) -> None:
    engine.register_state_machine("approvals", approval_only())
    execution = engine.start_execution("approvals", "r", {})
    engine.run_until_idle()
    token = engine.store.get_run(execution).cursor["token"]  # type: ignore[union-attr]
    engine.stop_execution(execution, error="Cancelled", cause="operator")
    assert engine.describe(execution).status == "ABORTED"
    assert engine.history(execution)[-1]["type"] == "ExecutionAborted"
    with pytest.raises(TaskTimedOut):
        engine.send_task_success(token, "{}")
    assert [d.execution_id for d in engine.list_executions("approvals", "ABORTED")] == [execution]


def test_background_workers_run_many_executions_and_report_progress(db: Path) -> None:
    stubs = Stubs(delay=0.002)
    eng = Engine(db, FunctionInvoker(stubs), max_workers=8)
    seen: list[ProgressEvent] = []
    eng.subscribe(seen.append)
    eng.register_state_machine("incident", incident_flow())
    eng.start()
    try:
        ids = [eng.start_execution("incident", f"run-{i}", incident(f"T{i}")) for i in range(40)]
        results = [eng.wait_for(i, timeout=30) for i in ids]
    finally:
        eng.stop()
    assert {r.status for r in results} == {"SUCCEEDED"}
    assert sum(1 for e in seen if e.type == "ExecutionSucceeded") == 40
    assert results[0].output["verification"]["verified"] == {"healthy": True}
    eng.close()
