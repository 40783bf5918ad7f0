"""One runtime interface, two backends: the same calls behave the same on the embedded engine
and on (moto's) Step Functions."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from chalicelib.engine.engine import Engine
from chalicelib.engine.errors import ExecutionAlreadyExists, ExecutionDoesNotExist, InvalidToken, TaskDoesNotExist
from chalicelib.engine.invoker import FunctionInvoker
from chalicelib.errors import ConfigurationError
from chalicelib.runtime.base import Runtime
from chalicelib.runtime.factory import make_runtime
from chalicelib.runtime.local import LocalRuntime
from chalicelib.runtime.stepfunctions import StepFunctionsRuntime
from tests.support.engine_flows import Stubs, incident, incident_flow
from tests.support.moto_sfn import MotoSfn


def approval_flow() -> dict[str, Any]:
    flow = incident_flow()
    flow["States"]["request-approval"]["TimeoutSeconds"] = 60
    return flow


@pytest.fixture(scope="module")
def moto() -> Iterator[MotoSfn]:
    with MotoSfn(Stubs()) as sfn:
        yield sfn


@pytest.fixture(params=["local", "aws"])
def backend(request: pytest.FixtureRequest, moto: MotoSfn, tmp_path: Path) -> Iterator[tuple[Runtime, Stubs]]:
    stubs = Stubs()
    if request.param == "local":
        engine = Engine(tmp_path / "rt.db", FunctionInvoker(stubs))
        engine.register_state_machine("incident", approval_flow())
        runtime = make_runtime({"AOF_BACKEND": "local"}, engine=engine)
        assert isinstance(runtime, LocalRuntime)
        yield runtime, stubs
        engine.close()
    else:
        moto.dispatch = stubs
        arn = moto.create_state_machine(approval_flow())
        runtime = make_runtime({"AOF_BACKEND": "aws"}, client=moto.client, state_machine_arns={"incident": arn})
        assert isinstance(runtime, StepFunctionsRuntime)
        yield runtime, stubs


def wait_status(runtime: Runtime, execution: str, *statuses: str) -> Any:
    deadline = time.monotonic() + 20
    while True:
        desc = runtime.describe(execution)
        if desc.status in statuses:
            return desc
        assert time.monotonic() < deadline, desc.status
        time.sleep(0.02)


def test_run_to_completion_and_describe(backend: tuple[Runtime, Stubs]) -> None:
    runtime, _ = backend
    execution = runtime.start_execution("incident", incident("TEST001"), name="TEST001-e1")
    desc = wait_status(runtime, execution, "SUCCEEDED")
    assert desc.name == "TEST001-e1"
    assert desc.state_machine == "incident"
    assert desc.input == incident("TEST001")
    assert desc.output["verification"]["summary"] == {"text": "incident TEST001 fixed"}
    assert desc.stop_date is not None
    history = runtime.history(execution)
    assert history[0]["type"] == "ExecutionStarted" and history[-1]["type"] == "ExecutionSucceeded"
    assert isinstance(history[0]["timestamp"], str)
    assert [d.execution_id for d in runtime.list_executions("incident", "SUCCEEDED")] == [execution]


def test_duplicate_execution_name_is_refused(backend: tuple[Runtime, Stubs]) -> None:
    runtime, _ = backend
    execution = runtime.start_execution("incident", incident("TEST002"), name="dup")
    wait_status(runtime, execution, "SUCCEEDED")
    with pytest.raises(ExecutionAlreadyExists):
        runtime.start_execution("incident", incident("TEST002", urgency="high"), name="dup")


def test_approval_resolved_through_the_runtime(backend: tuple[Runtime, Stubs]) -> None:
    runtime, stubs = backend
    execution = runtime.start_execution("incident", incident("TEST003", urgency="high"), name="appr")
    deadline = time.monotonic() + 10
    while not stubs.tokens:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    assert runtime.describe(execution).status == "RUNNING"
    runtime.send_task_success(stubs.tokens[-1], {"status": "approved", "output": {"approved": True}})
    desc = wait_status(runtime, execution, "SUCCEEDED")
    assert desc.output["nodes"]["request-approval"] == {"status": "approved", "output": {"approved": True}}


def test_stop_and_unknown_ids(backend: tuple[Runtime, Stubs]) -> None:
    runtime, stubs = backend
    execution = runtime.start_execution("incident", incident("TEST004", urgency="high"), name="stopme")
    deadline = time.monotonic() + 10
    while not stubs.tokens:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    runtime.stop_execution(execution, error="Cancelled", cause="duplicate incident")
    if isinstance(runtime, LocalRuntime):
        # moto 5.2.5 only reflects ABORTED once its worker thread leaves the token wait.
        desc = wait_status(runtime, execution, "ABORTED")
        assert (desc.error, desc.cause) == ("Cancelled", "duplicate incident")
    with pytest.raises((TaskDoesNotExist, InvalidToken)):
        runtime.send_task_success("unknown-token", {})
    with pytest.raises(ExecutionDoesNotExist):
        runtime.describe(execution.rsplit(":", 1)[0] + ":missing")


def test_factory_refuses_unknown_backend_and_missing_arns() -> None:
    with pytest.raises(ConfigurationError):
        make_runtime({"AOF_BACKEND": "azure"})
    with pytest.raises(ConfigurationError):
        make_runtime({"AOF_BACKEND": "aws"}, client=object())
