"""An execution always ends: errors inside states, inside branches and inside the interpreter
itself fail it (``States.Runtime`` for the interpreter's own), recorded in the history."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from chalicelib.engine.clock import FakeClock
from chalicelib.engine.engine import Engine
from tests.support.engine_flows import FN, INVOKE


class Busy(Exception):
    """A transient failure the definitions retry."""


class Broken(Exception):
    """A failure they do not retry."""


class Scripted:
    """Each function answers from its script, one entry per call (an exception is raised)."""

    def __init__(self, **scripts: list[Any]) -> None:
        self.scripts = {name: list(answers) for name, answers in scripts.items()}
        self.calls: list[str] = []

    def invoke(self, function_name: str, payload: Any, *, task_token: str | None, idempotency_key: str) -> Any:
        name = function_name.rsplit("-", 1)[-1]
        self.calls.append(name)
        answer = self.scripts[name].pop(0) if len(self.scripts[name]) > 1 else self.scripts[name][0]
        if isinstance(answer, Exception):
            raise answer
        return answer


@pytest.fixture
def make_engine(tmp_path: Path) -> Iterator[Any]:
    engines: list[Engine] = []

    def make(invoker: Any) -> Engine:
        engine = Engine(tmp_path / f"e{len(engines)}.db", invoker, clock=FakeClock())
        engines.append(engine)
        return engine

    yield make
    for engine in engines:
        engine.close()


def task(function: str, **fields: Any) -> dict[str, Any]:
    return {
        "Type": "Task",
        "Resource": INVOKE,
        "Parameters": {"FunctionName": FN.format(function), "Payload.$": "$"},
        "ResultSelector": {"value.$": "$.Payload"},
        **({"End": True} if "Next" not in fields else {}),
        **fields,
    }


def branch(function: str) -> dict[str, Any]:
    return {"StartAt": "work", "States": {"work": task(function)}}


def run(engine: Engine, definition: dict[str, Any], data: Any = None) -> tuple[Any, list[dict[str, Any]]]:
    engine.register_state_machine("m", definition)
    arn = engine.start_execution("m", None, data if data is not None else {})
    engine.run_until_idle()
    return engine.describe(arn), engine.history(arn)


class AfterSibling(Scripted):
    """``flaky`` answers only once ``steady`` has been called in the same attempt, as when the
    failing branch is the slower one; otherwise which branch AWS (or the engine's pool) reaches
    first decides whether the sibling ran at all before the Parallel failed."""

    def __init__(self, **scripts: list[Any]) -> None:
        super().__init__(**scripts)
        self.steady_called = threading.Event()

    def invoke(self, function_name: str, payload: Any, *, task_token: str | None, idempotency_key: str) -> Any:
        if function_name.endswith("-steady"):
            self.steady_called.set()
        elif not self.steady_called.wait(timeout=10):
            raise AssertionError("the steady branch was never started beside the flaky one")
        else:
            self.steady_called.clear()
        return super().invoke(function_name, payload, task_token=task_token, idempotency_key=idempotency_key)


def test_parallel_with_retry_retries_the_whole_state(make_engine: Any) -> None:
    invoker = AfterSibling(flaky=[Busy("busy"), {"n": 1}], steady=[{"n": 2}])
    definition = {
        "StartAt": "both",
        "States": {
            "both": {
                "Type": "Parallel",
                "Branches": [branch("flaky"), branch("steady")],
                "Retry": [{"ErrorEquals": ["Busy"], "IntervalSeconds": 1, "MaxAttempts": 2}],
                "End": True,
            }
        },
    }
    desc, history = run(make_engine(invoker), definition)

    assert (desc.status, desc.output) == ("SUCCEEDED", [{"value": {"n": 1}}, {"value": {"n": 2}}])
    assert [e["type"] for e in history].count("ParallelStateStarted") == 2
    assert invoker.calls.count("steady") == 2, "a retried Parallel runs every branch again"


def test_parallel_retries_exhausted_then_caught(make_engine: Any) -> None:
    invoker = Scripted(flaky=[Busy("still busy")])
    definition = {
        "StartAt": "both",
        "States": {
            "both": {
                "Type": "Parallel",
                "Branches": [branch("flaky")],
                "Retry": [{"ErrorEquals": ["Busy"], "IntervalSeconds": 1, "MaxAttempts": 1}],
                "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "caught"}],
                "Next": "done",
            },
            "caught": {"Type": "Pass", "End": True},
            "done": {"Type": "Succeed"},
        },
    }
    desc, _ = run(make_engine(invoker), definition, {"id": 7})

    assert desc.status == "SUCCEEDED"
    assert desc.output["id"] == 7
    assert desc.output["error"]["Error"] == "Busy"
    assert invoker.calls == ["flaky", "flaky"]


def test_map_with_retry_and_catch(make_engine: Any) -> None:
    invoker = Scripted(flaky=[Busy("busy"), Broken("no")])
    definition = {
        "StartAt": "each",
        "States": {
            "each": {
                "Type": "Map",
                "ItemsPath": "$.items",
                "ItemProcessor": branch("flaky"),
                "Retry": [{"ErrorEquals": ["Busy"], "IntervalSeconds": 1, "MaxAttempts": 3}],
                "Catch": [{"ErrorEquals": ["Broken"], "Next": "caught"}],
                "End": True,
            },
            "caught": {"Type": "Pass", "End": True},
        },
    }
    desc, _ = run(make_engine(invoker), definition, {"items": [1]})

    assert desc.status == "SUCCEEDED"
    assert desc.output["Error"] == "Broken"
    assert invoker.calls == ["flaky", "flaky"]


def test_an_internal_error_fails_the_execution_with_states_runtime(make_engine: Any) -> None:
    engine = make_engine(Scripted(x=[{"n": 1}]))
    definition = {"StartAt": "both", "States": {"both": {"Type": "Parallel", "Branches": [branch("x")], "End": True}}}
    # A defect anywhere in the interpreter (here: a corrupt checkpoint) must end the run.
    engine.register_state_machine("m", definition)
    arn = engine.start_execution("m", "r", {})
    run_row = engine.store.get_run(arn)
    assert run_row is not None
    engine.store.update_run(arn, cursor={**run_row.cursor, "phase": "no-such-phase"})
    engine.run_until_idle()

    desc = engine.describe(arn)
    assert desc.status == "FAILED"
    assert desc.error == "States.Runtime"
    assert "no-such-phase" in (desc.cause or "")
    last = engine.history(arn)[-1]
    assert last["type"] == "ExecutionFailed"
    assert last["executionFailedEventDetails"]["error"] == "States.Runtime"


def test_an_internal_error_in_a_branch_is_not_caught_by_states_all(make_engine: Any) -> None:
    engine = make_engine(Scripted(x=[{"n": 1}]))
    definition = {
        "StartAt": "both",
        "States": {
            "both": {
                "Type": "Parallel",
                "Branches": [{"StartAt": "wait", "States": {"wait": {"Type": "Wait", "Seconds": 5, "End": True}}}],
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "caught"}],
                "End": True,
            },
            "caught": {"Type": "Succeed"},
        },
    }
    engine.register_state_machine("m", definition)
    arn = engine.start_execution("m", "r", {})
    engine.interpreter.step(arn)  # enters the Parallel: its branch run now exists
    (branch_id,) = engine.store.descendants_running(arn)
    branch_run = engine.store.get_run(branch_id)
    assert branch_run is not None
    engine.store.update_run(branch_id, cursor={**branch_run.cursor, "state": "vanished"})
    engine.run_until_idle()

    desc = engine.describe(arn)
    assert (desc.status, desc.error) == ("FAILED", "States.Runtime")
    assert "vanished" in (desc.cause or "")
    assert "SucceedStateEntered" not in [e["type"] for e in engine.history(arn)], "States.ALL never catches it"


@pytest.mark.parametrize(("seconds", "status"), [(0.5, "FAILED"), ("1", "FAILED"), (-1, "FAILED"), (2, "SUCCEEDED")])
def test_wait_seconds_path_takes_a_non_negative_integer(make_engine: Any, seconds: Any, status: str) -> None:
    definition = {"StartAt": "nap", "States": {"nap": {"Type": "Wait", "SecondsPath": "$.s", "End": True}}}
    desc, _ = run(make_engine(Scripted()), definition, {"s": seconds})
    assert desc.status == status
    if status == "FAILED":
        assert desc.error == "States.Runtime"


def test_a_failed_branch_stops_its_siblings_own_branches(make_engine: Any) -> None:
    nested = {
        "StartAt": "inner",
        "States": {
            "inner": {
                "Type": "Parallel",
                "Branches": [
                    {
                        "StartAt": "nap",
                        "States": {
                            "nap": {"Type": "Wait", "Seconds": 60, "Next": "late"},
                            "late": {"Type": "Pass", "End": True},
                        },
                    }
                ],
                "End": True,
            }
        },
    }
    failing = {"StartAt": "boom", "States": {"boom": {"Type": "Fail", "Error": "Boom"}}}
    definition = {
        "StartAt": "both",
        "States": {"both": {"Type": "Parallel", "Branches": [nested, failing], "End": True}},
    }
    engine = make_engine(Scripted())
    desc, history = run(engine, definition)

    assert (desc.status, desc.error) == ("FAILED", "Boom")
    assert history[-1]["type"] == "ExecutionFailed", "nothing is recorded after the execution ended"
    assert "late" not in engine.state_sequence(desc.execution_id)
    assert engine.store.descendants_running(desc.execution_id) == []


def test_a_catch_whose_result_path_cannot_apply_fails_the_execution(make_engine: Any) -> None:
    catch = [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "done"}]
    definition = {
        "StartAt": "work",
        "States": {"work": task("flaky", Next="done", Catch=catch), "done": {"Type": "Succeed"}},
    }
    desc, _ = run(make_engine(Scripted(flaky=[Broken("no")])), definition, "a string input")
    assert (desc.status, desc.error) == ("FAILED", "States.ResultPathMatchFailure")
