"""``aofctl apply`` against moto: creates what is missing, then changes nothing."""

from __future__ import annotations

import io
import json
import shutil
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any

import pytest

from chalicelib.cli.main import main
from chalicelib.deploy.registry import decode_registry
from tests.cloud.incidents import ROOT, function_name

NODE_FUNCTIONS = ["agent_node", "approval_node", "http_node", "lifecycle", "slack_node", "transform_node"]


def aofctl(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    with redirect_stdout(out):
        code = main(list(argv))
    return code, out.getvalue()


def apply(project: Path, flows: Path = ROOT / "flows", *extra: str) -> tuple[int, str]:
    return aofctl(
        "apply", "-f", str(ROOT / "agents"), "-f", str(flows), "--stage", "dev", "--project-dir", str(project), *extra
    )


def test_first_apply_creates_everything_and_the_second_changes_nothing(project: Path, aws: dict[str, Any]) -> None:
    code, first = apply(project)
    assert code == 0, first
    assert "+ table aof-dev-store: create" in first
    assert "+ log-group /aws/vendedlogs/states/aof-dev-flows: create" in first
    assert "+ failure-queue aof-dev-async-failures: create" in first
    assert "+ on-failure execution_finished: create" in first
    assert "+ on-failure post_incident_daily: create" in first
    assert "+ role aof-dev-states-execution: create" in first
    assert "+ state-machine aof-dev-incident-auto-response: create" in first
    assert "+ state-machine aof-dev-post-incident-daily: create" in first
    assert "+ flow-registry /aof-dev/flows: create" in first
    assert first.rstrip().endswith("9 change(s) applied")

    code, second = apply(project)
    assert code == 0
    assert second.rstrip().endswith("no changes")
    assert "+" not in second and "~" not in second
    assert second.count("= ") == 9


def test_apply_refuses_a_stage_where_anyone_could_approve(project: Path, aws: dict[str, Any]) -> None:
    config_file = project / ".chalice" / "config.json"
    config = json.loads(config_file.read_text())
    del config["stages"]["dev"]["environment_variables"]["SLACK_APPROVERS"]
    config_file.write_text(json.dumps(config))
    err = io.StringIO()
    with redirect_stderr(err):
        code, _out = apply(project)
    assert code == 1
    assert (
        "incident-response-flow.yaml:79: flow incident-auto-response, node request-approval: no approvers"
        in err.getvalue()
    )
    assert "nothing applied" in err.getvalue()
    assert aws["stepfunctions"].list_state_machines()["stateMachines"] == []


def test_what_apply_created_is_least_privilege_and_wired_to_the_deployed_functions(
    project: Path, aws: dict[str, Any]
) -> None:
    apply(project)
    iam, sfn, ssm = aws["iam"], aws["stepfunctions"], aws["ssm"]
    role = iam.get_role(RoleName="aof-dev-states-execution")["Role"]
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {"Service": "states.amazonaws.com"}
    policy = iam.get_role_policy(RoleName="aof-dev-states-execution", PolicyName="flow-execution")["PolicyDocument"]
    statement, *others = policy["Statement"]
    assert statement["Action"] == "lambda:InvokeFunction"
    # the rest is log delivery and tracing, which AWS grants only on "*"
    assert {a.split(":")[0] for s in others for a in s["Action"]} == {"logs", "xray"}
    assert statement["Resource"] == sorted(
        f"arn:aws:lambda:us-east-1:123456789012:function:{function_name(n)}" for n in NODE_FUNCTIONS
    )
    assert iam.list_role_policies(RoleName=role["RoleName"])["PolicyNames"] == ["flow-execution"]
    assert iam.list_attached_role_policies(RoleName=role["RoleName"])["AttachedPolicies"] == []

    registry = decode_registry(ssm.get_parameter(Name="/aof-dev/flows")["Parameter"]["Value"])
    entry = registry["incident-auto-response"]
    assert entry.trigger_path == "/pagerduty/webhook"
    machine = sfn.describe_state_machine(stateMachineArn=entry.state_machine_arn)
    assert machine["roleArn"] == role["Arn"]
    definition = machine["definition"]
    assert "FunctionArn}" not in definition  # every placeholder substituted
    assert f"arn:aws:lambda:us-east-1:123456789012:function:{function_name('agent_node')}" in definition
    assert json.loads(definition)["StartAt"] == "parse-alert"


def machines(sfn: Any) -> list[dict[str, Any]]:
    listed = sfn.list_state_machines()["stateMachines"]
    return [sfn.describe_state_machine(stateMachineArn=m["stateMachineArn"]) for m in listed]


def test_applied_machines_log_at_the_stage_level_without_execution_data_and_trace(
    project: Path, aws: dict[str, Any]
) -> None:
    code, out = apply(project)
    assert code == 0, out
    [group] = aws["logs"].describe_log_groups(logGroupNamePrefix="/aws/vendedlogs/states/aof-dev-flows")["logGroups"]
    assert group["retentionInDays"] == 90
    found = machines(aws["stepfunctions"])
    assert len(found) == 2
    for machine in found:
        # the stage config sets no level: ERROR, as in the packaged template; inputs never logged
        assert machine["loggingConfiguration"] == {
            "level": "ERROR",
            "includeExecutionData": False,
            "destinations": [{"cloudWatchLogsLogGroup": {"logGroupArn": group["arn"].removesuffix(":*") + ":*"}}],
        }
        assert machine["tracingConfiguration"] == {"enabled": True}


def test_failed_asynchronous_events_go_to_the_stages_queue(project: Path, aws: dict[str, Any]) -> None:
    code, out = apply(project)
    assert code == 0, out
    queue_url = aws["sqs"].get_queue_url(QueueName="aof-dev-async-failures")["QueueUrl"]
    attributes = aws["sqs"].get_queue_attributes(QueueUrl=queue_url, AttributeNames=["All"])["Attributes"]
    assert attributes["MessageRetentionPeriod"] == "1209600"  # 14 days to look at what failed
    for short in ("execution_finished", "post_incident_daily"):
        config = aws["lambda"].get_function_event_invoke_config(FunctionName=function_name(short))
        # as the packaged template's EventInvokeConfig: two retries, then the queue
        assert config["MaximumRetryAttempts"] == 2
        assert config["DestinationConfig"]["OnFailure"]["Destination"] == attributes["QueueArn"]


def test_the_stage_log_level_reaches_machines_an_older_apply_made_without_logs(
    project: Path, aws: dict[str, Any]
) -> None:
    sfn = aws["stepfunctions"]
    assert apply(project)[0] == 0
    for machine in machines(sfn):  # as an apply before logging and tracing left them
        sfn.update_state_machine(
            stateMachineArn=machine["stateMachineArn"],
            loggingConfiguration={"level": "OFF"},
            tracingConfiguration={"enabled": False},
        )
    config_file = project / ".chalice" / "config.json"
    config = json.loads(config_file.read_text())
    config["stages"]["dev"].setdefault("aof", {})["state_machine_log_level"] = "ALL"
    config_file.write_text(json.dumps(config))
    code, out = apply(project)
    assert code == 0, out
    assert "~ state-machine aof-dev-incident-auto-response: update (logging, tracing)" in out
    for machine in machines(sfn):
        assert machine["loggingConfiguration"]["level"] == "ALL"
        assert machine["loggingConfiguration"]["includeExecutionData"] is False
        assert machine["tracingConfiguration"] == {"enabled": True}


def test_an_unknown_stage_log_level_is_refused_before_anything_is_applied(project: Path, aws: dict[str, Any]) -> None:
    config_file = project / ".chalice" / "config.json"
    config = json.loads(config_file.read_text())
    config["stages"]["dev"].setdefault("aof", {})["state_machine_log_level"] = "DEBUG"
    config_file.write_text(json.dumps(config))
    err = io.StringIO()
    with redirect_stderr(err):
        code, _out = apply(project)
    assert code == 1
    assert "state machine log level 'DEBUG' is not one of ALL, ERROR, FATAL, OFF" in err.getvalue()
    assert aws["stepfunctions"].list_state_machines()["stateMachines"] == []


def test_a_changed_flow_updates_only_its_state_machine(project: Path, aws: dict[str, Any], tmp_path: Path) -> None:
    apply(project)
    flows = tmp_path / "flows"
    shutil.copytree(ROOT / "flows", flows)
    path = flows / "incident-response-flow.yaml"
    path.write_text(path.read_text().replace("timeout_seconds: 180", "timeout_seconds: 240"))
    code, out = apply(project, flows)
    assert code == 0
    assert "~ state-machine aof-dev-incident-auto-response: update (definition)" in out
    assert "= state-machine aof-dev-post-incident-daily: unchanged" in out
    assert out.rstrip().endswith("1 change(s) applied")
    arn = "arn:aws:states:us-east-1:123456789012:stateMachine:aof-dev-incident-auto-response"
    assert '"TimeoutSeconds": 240' in aws["stepfunctions"].describe_state_machine(stateMachineArn=arn)["definition"]


def test_dry_run_changes_nothing(project: Path, aws: dict[str, Any]) -> None:
    code, out = apply(project, ROOT / "flows", "--dry-run")
    assert code == 0 and out.rstrip().endswith("9 change(s) planned")
    assert aws["stepfunctions"].list_state_machines()["stateMachines"] == []
    assert aws["dynamodb"].list_tables()["TableNames"] == []


def test_apply_before_chalice_deploy_says_what_to_do(
    tmp_path: Path, aws: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            "apply",
            "-f",
            str(ROOT / "agents"),
            "-f",
            str(ROOT / "flows"),
            "--stage",
            "dev",
            "--project-dir",
            str(tmp_path),
        ]
    )
    assert code == 1
    assert "run `chalice deploy --stage dev` first" in capsys.readouterr().err
    assert aws["stepfunctions"].list_state_machines()["stateMachines"] == []


def test_apply_local_registers_the_flows_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AOF_STATE_DIR", str(tmp_path / "state"))
    code, first = aofctl("apply", "--local", "-f", str(ROOT / "agents"), "-f", str(ROOT / "flows"))
    assert code == 0, first
    assert "+ agent incident-diagnostic: create" in first
    assert "+ flow incident-auto-response: create" in first
    assert "+ state-machine incident-auto-response: create" in first
    assert (tmp_path / "state" / "aof.db").exists() and (tmp_path / "state" / "engine.db").exists()
    code, second = aofctl("apply", "--local", "-f", str(ROOT / "agents"), "-f", str(ROOT / "flows"))
    assert code == 0 and second.rstrip().endswith("no changes")


def test_tutorial_applies_one_file_at_a_time_without_aws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Step 5 of the tutorial: agents first, then the flow that names them (no --stage: local)."""
    monkeypatch.setenv("AOF_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.delenv("AOF_BACKEND", raising=False)
    flow = ROOT / "flows" / "incident-response-flow.yaml"
    code, _ = aofctl("apply", "-f", str(flow))
    assert code == 1  # its agents are not known yet
    for agent in ("diagnostic-agent.yaml", "remediation-agent.yaml"):
        code, out = aofctl("apply", "-f", str(ROOT / "agents" / agent))
        assert code == 0, out
    code, out = aofctl("apply", "-f", str(flow))
    assert code == 0, out
    assert "+ flow incident-auto-response: create" in out
    assert "+ state-machine incident-auto-response: create" in out
