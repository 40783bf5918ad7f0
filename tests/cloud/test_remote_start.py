"""Starting a cloud run when two copies of one delivery race (API Gateway retries, PagerDuty resends).

The run id is the execution name, so the first copy to record the run owns its admission; the
second must never start an execution for a run the first escalated, nor take an extra ticket.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from chalicelib.nodes.notify import ConsoleNotifier
from chalicelib.runtime.stepfunctions import StepFunctionsRuntime
from chalicelib.service.run_ports import FlowTable, NoMetrics
from chalicelib.service.runs import RunService
from chalicelib.store import RunRecord, Store, open_store

REGION = "us-east-1"
FLOW = "incident-auto-response"
LIMIT = {"max_concurrent": 1, "queue_size": 0, "timeout_seconds": 600}
EVENT = {"incident": {"id": "PABC123", "title": "API latency"}}


@pytest.fixture
def cloud(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Store, StepFunctionsRuntime, Any]]:
    for key in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        sfn = boto3.client("stepfunctions", region_name=REGION)
        iam = boto3.client("iam", region_name=REGION)
        role = iam.create_role(RoleName="sfn", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
        definition = {"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}}
        arn = sfn.create_state_machine(name=FLOW, definition=json.dumps(definition), roleArn=role)["stateMachineArn"]
        store = open_store("dynamodb://race?create=true", dynamodb_client=boto3.client("dynamodb", region_name=REGION))
        yield store, StepFunctionsRuntime(sfn, {FLOW: arn}), sfn


def start_remote_run(store: Store, runtime: StepFunctionsRuntime, flow: str, event: dict[str, Any], name: str) -> str:
    service = RunService(
        runtime=runtime,
        store=store,
        notifier=ConsoleNotifier(io.StringIO()),
        pager=None,
        metrics=NoMetrics(),
        flows=FlowTable({}, {FLOW: LIMIT}),
    )
    return service.start(flow, event, name)


def executions(sfn: Any) -> list[str]:
    machine = sfn.list_state_machines()["stateMachines"][0]["stateMachineArn"]
    return [e["name"] for e in sfn.list_executions(stateMachineArn=machine)["executions"]]


def test_a_repeat_of_an_escalated_run_starts_nothing(cloud: tuple[Store, StepFunctionsRuntime, Any]) -> None:
    store, runtime, sfn = cloud
    start_remote_run(store, runtime, FLOW, EVENT, "busy")  # takes the one slot

    start_remote_run(store, runtime, FLOW, EVENT, "storm-1")  # escalated: no slot
    start_remote_run(store, runtime, FLOW, EVENT, "storm-1")  # the repeat

    assert executions(sfn) == ["busy"]
    run = store.runs.get_run("storm-1")
    assert run is not None and run.outcome == "escalated" and run.execution_arn is None


def test_a_repeat_racing_the_first_copy_waits_for_a_ticket(cloud: tuple[Store, StepFunctionsRuntime, Any]) -> None:
    store, runtime, sfn = cloud
    start_remote_run(store, runtime, FLOW, EVENT, "busy")
    # The first copy of "storm-2" has recorded the run and not yet asked for a ticket.
    store.runs.create_run(RunRecord(run_id="storm-2", flow=FLOW, status="running"))

    start_remote_run(store, runtime, FLOW, EVENT, "storm-2")

    assert executions(sfn) == ["busy"]


def test_a_repeat_of_an_admitted_run_starts_it_once(cloud: tuple[Store, StepFunctionsRuntime, Any]) -> None:
    store, runtime, sfn = cloud
    start_remote_run(store, runtime, FLOW, EVENT, "first")
    start_remote_run(store, runtime, FLOW, EVENT, "first")

    assert executions(sfn) == ["first"]
    run = store.runs.get_run("first")
    assert run is not None and run.execution_arn is not None and run.outcome is None
