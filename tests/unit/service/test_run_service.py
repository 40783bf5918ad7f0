"""One run lifecycle over both backends: the same service on SQLite + the embedded engine and on
DynamoDB + Step Functions (moto) records, escalates, stops and finishes runs the same way.

Before the run service, the two ways of running a flow drifted: only the embedded one recorded
the PagerDuty event id and announced a storm escalation, only the cloud one emitted metrics.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from chalicelib.engine.engine import Engine
from chalicelib.engine.invoker import FunctionInvoker
from chalicelib.errors import RunStopped, WaitingForActingSlot
from chalicelib.nodes.notify import ConsoleNotifier
from chalicelib.runtime.local import LocalRuntime
from chalicelib.runtime.stepfunctions import StepFunctionsRuntime
from chalicelib.service.run_ports import EmfMetrics, FlowTable
from chalicelib.service.runs import RunService
from chalicelib.store import ApprovalRecord, RunRecord, Store, open_store
from chalicelib.webhooks.incident import Incident, IncidentEvent, ServiceRef

FLOW = "incident-auto-response"
LIMIT = {"max_concurrent": 1, "queue_size": 0, "timeout_seconds": 600}
#: Waits for a token that never comes: the execution stays running until it is stopped.
DEFINITION = {
    "StartAt": "Hold",
    "States": {
        "Hold": {
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
            "Parameters": {"FunctionName": "hold", "Payload": {"token.$": "$$.Task.Token"}},
            "End": True,
        }
    },
}


def event(incident: str, event_id: str) -> dict[str, Any]:
    return {"event_id": event_id, "incident": {"id": incident, "title": f"trouble {incident}"}}


@dataclass
class World:
    service: RunService
    store: Store
    posted: list[dict[str, Any]]


def _service(runtime: Any, store: Store, notifier: ConsoleNotifier) -> RunService:
    return RunService(
        runtime=runtime,
        store=store,
        notifier=notifier,
        pager=None,
        metrics=EmfMetrics(),
        flows=FlowTable({"/pagerduty/webhook": FLOW}, {FLOW: LIMIT}),
    )


@pytest.fixture(params=["embedded", "deployed"])
def world(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    notifier = ConsoleNotifier(io.StringIO())
    if request.param == "embedded":
        engine = Engine(tmp_path / "engine.db", FunctionInvoker(lambda function, payload: None))
        engine.register_state_machine(FLOW, DEFINITION)
        engine.start()
        with open_store(f"sqlite:///{tmp_path / 'aof.db'}") as store:
            try:
                yield World(_service(LocalRuntime(engine), store, notifier), store, notifier.posted)
            finally:
                engine.stop()
        return
    for key in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        sfn = boto3.client("stepfunctions", region_name="us-east-1")
        role = boto3.client("iam").create_role(RoleName="sfn", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
        arn = sfn.create_state_machine(name=FLOW, definition=json.dumps(DEFINITION), roleArn=role)["stateMachineArn"]
        store = open_store("dynamodb://svc?create=true", dynamodb_client=boto3.client("dynamodb"))
        runtime = StepFunctionsRuntime(sfn, {FLOW: arn})
        yield World(_service(runtime, store, notifier), store, notifier.posted)


def test_a_repeated_delivery_starts_one_run_that_keeps_its_event_id(world: World) -> None:
    first = world.service.start(FLOW, event("P1", "ev-1"), "run-1")
    again = world.service.start(FLOW, event("P1", "ev-1"), "run-1")

    run = world.store.runs.get_run("run-1")
    assert first == again == "run-1"
    assert run is not None and run.event_id == "ev-1" and run.execution_arn
    assert [e.type for e in world.store.runs.events("run-1")] == ["RunStarted"]


def test_a_storm_run_is_escalated_at_once_and_announced(world: World) -> None:
    world.service.start(FLOW, event("P1", "ev-1"), "acting")
    world.service.start(FLOW, event("P2", "ev-2"), "storm")

    run = world.store.runs.get_run("storm")
    assert run is not None and run.outcome == "escalated" and run.execution_arn is None
    assert [p["channel"] for p in world.posted] == ["#incidents"]
    assert "Not handled automatically" in world.posted[0]["text"] and "trouble P2" in world.posted[0]["text"]


def test_a_human_taking_over_stops_the_run_cancels_its_approval_and_frees_its_slot(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    world.service.start(FLOW, event("P1", "ev-1"), "run-1")
    world.store.approvals.put_approval(
        ApprovalRecord(
            approval_id="a-1", run_id="run-1", node_id="ask", task_token="t", plan={}, expires_at=4_000_000_000
        )
    )
    ack = IncidentEvent(
        event_id="ev-ack",
        event_type="incident.acknowledged",
        incident=Incident(id="P1", title="trouble P1", service=ServiceRef(name="api", id="S1"), urgency="high"),
    )

    assert world.service.on_incident_update(ack) == ["run-1"]
    assert world.service.on_incident_update(ack) == []  # twice is once

    run = world.store.runs.get_run("run-1")
    assert run is not None and run.status == "cancelled" and run.outcome == "escalated"
    assert world.store.approvals.find_pending_by_run("run-1") == []
    assert world.service.runtime.describe(run.execution_arn or "").status == "ABORTED"
    # The slot is free again: the next incident acts instead of being escalated as a storm.
    world.service.start(FLOW, event("P2", "ev-2"), "run-2")
    assert (world.store.runs.get_run("run-2") or run).outcome is None


def test_a_stopped_run_finishes_once_as_stopped_with_its_metrics(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    world.service.start(FLOW, event("P1", "ev-1"), "run-1")
    assert world.service.stop_run("run-1", "operator pressed Ctrl-C")
    run = world.store.runs.get_run("run-1")
    assert run is not None and run.execution_arn
    capsys.readouterr()

    outcome = world.service.finish(run.execution_arn)
    assert world.service.finish(run.execution_arn) == outcome == "escalated"

    finished = world.store.runs.get_run("run-1")
    assert finished is not None and finished.status == "cancelled"
    assert [e.type for e in world.store.runs.events("run-1")].count("RunFinished") == 1
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    assert len(lines) == 1 and lines[0]["flow"] == FLOW and lines[0]["RunsEscalated"] == [1.0]


def test_an_agent_step_without_a_free_slot_fails_at_once_and_a_stopped_run_stops_waiting(world: World) -> None:
    world.service.start(FLOW, event("P1", "ev-1"), "acting")  # holds the only acting slot
    step = {"node": {"id": "remediate", "type": "Agent"}, "flow": {"name": FLOW}, "rate_limit": LIMIT}

    with pytest.raises(WaitingForActingSlot, match="acting slots of flow incident-auto-response"):
        world.service.take_acting_slot("queued", step)
    world.service.take_acting_slot("acting", step)  # the holder keeps its slot

    world.store.runs.create_run(RunRecord(run_id="queued", flow=FLOW, status="running"))
    world.service.stop_run("queued", "operator pressed Ctrl-C")
    with pytest.raises(RunStopped, match="stopped while waiting"):
        world.service.take_acting_slot("queued", step)
