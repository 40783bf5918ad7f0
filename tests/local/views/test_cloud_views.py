"""The same views in the cloud: DynamoDB store and Step Functions history (moto)."""

from __future__ import annotations

import io
import json
from contextlib import redirect_stdout

import boto3
import pytest
from moto import mock_aws

from chalicelib.cli.main import main
from chalicelib.store import RunEvent, RunRecord, open_store

DEFINITION = {"StartAt": "diagnose", "States": {"diagnose": {"Type": "Pass", "End": True}}}


def test_describe_and_logs_read_dynamodb_and_step_functions(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AOF_BACKEND", "aws")
    monkeypatch.setenv("AOF_TABLE_PREFIX", "aofviews")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        sfn = boto3.client("stepfunctions", region_name="us-east-1")
        machine = sfn.create_state_machine(
            name="incident-auto-response",
            definition=json.dumps(DEFINITION),
            roleArn="arn:aws:iam::123456789012:role/aof",
        )["stateMachineArn"]
        arn = sfn.start_execution(stateMachineArn=machine, name="pd-TEST001-e1", input="{}")["executionArn"]
        store = open_store("dynamodb://aofviews?create=true&region=us-east-1")
        store.runs.create_run(
            RunRecord(
                run_id="pd-TEST001-e1",
                flow="incident-auto-response",
                incident_id="TEST001",
                status="succeeded",
                outcome="resolved",
                started_at="2026-11-26T10:00:00Z",
                ended_at="2026-11-26T10:04:00Z",
                execution_arn=arn,
            )
        )
        store.runs.append_event("pd-TEST001-e1", RunEvent(type="RunStarted", at="2026-11-26T10:00:00Z"))
        store.runs.append_event(
            "pd-TEST001-e1", RunEvent(type="RunFinished", at="2026-11-26T10:04:00Z", details={"outcome": "resolved"})
        )
        out = io.StringIO()
        with redirect_stdout(out):
            assert main(["describe", "agentflow", "incident-auto-response"]) == 0
            assert main(["logs", "pd-TEST001-e1"]) == 0
            assert main(["get", "runs", "-o", "json"]) == 0
    text = out.getvalue()
    assert "success_rate:        100.0%" in text and "mttr_p50:            240.0s" in text
    assert f"https://us-east-1.console.aws.amazon.com/states/home?region=us-east-1#/v2/executions/details/{arn}" in text
    # moto answers a canned history; what matters is that it comes from Step Functions
    assert "ExecutionStarted" in text and "PassStateEntered" in text
    assert '"run_id": "pd-TEST001-e1"' in text
