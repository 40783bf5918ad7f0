"""The stage's IAM documents grant what the code calls, on the stage's own resources, and no more.

The deployed paths run on moto with IAM enforced (resources included, see
``tests/support/moto_iam.py``) as the principals the shipped documents define: ``aofctl apply``
as a user holding ``.chalice/policy-apply-dev.json``, every function as the role holding
``.chalice/policy-dev.json``, the state machines as the role ``aofctl apply`` creates. Moto
allows everything by default, so without this a missing grant only shows in a real account,
at the first incident.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from chalicelib.deploy.desired import execution_policy
from chalicelib.deploy.template import ROLE_ID, merge_template
from chalicelib.nodes.dispatch import PLACEHOLDER_FUNCTIONS
from chalicelib.spec import load_resources
from tests.cloud.incidents import APPROVER, ROOT, function_name
from tests.support.aws_actions import called_actions, operations
from tests.support.moto_iam import ACCOUNT_ID, DENIED_CODES, REGION, permitted, policy_document, resource_arn

STAGES = {"dev": "aof-dev", "prod": "aof-prod"}


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("iam") / "TEST002.json"
    log = out.with_suffix(".log")
    with log.open("w") as sink:
        command = [sys.executable, "-m", "tests.cloud.incidents", "cloud-iam", "TEST002", str(out)]
        subprocess.run(command, cwd=ROOT, stdout=sink, stderr=sink, timeout=300, check=False)
    assert out.exists(), log.read_text()[-3000:]
    result: dict[str, Any] = json.loads(out.read_text())
    # Moto answers a JSON-protocol service's refusal in XML: botocore then reads only its status.
    denied = [c for c in result.get("aws_calls", []) if c["error"] in DENIED_CODES or c["status"] == 403]
    assert not denied, denied
    assert "error" not in result, result.get("traceback")
    return result


def _calls(run: dict[str, Any], principal: str) -> list[dict[str, Any]]:
    return [c for c in run["aws_calls"] if c["principal"] == principal]


@pytest.mark.slow
def test_every_cloud_path_runs_as_the_stages_own_roles(run: dict[str, Any]) -> None:
    actions = {(c["principal"], c["action"]) for c in run["aws_calls"] if c["error"] is None}
    # aofctl apply, as the deployer
    assert any(line.startswith("+ state-machine aof-dev-incident-auto-response") for line in run["applied"])
    # the webhook starts the execution; the machine invokes each node function as its role
    assert ("runtime", "states:StartExecution") in actions
    assert run["invoked"] == sorted(
        function_name(n) for n in ("agent_node", "approval_node", "http_node", "slack_node", "transform_node")
    )
    # the Slack click resolves the approval: SendTaskSuccess as the function's role
    assert [(a["status"], a["decided_by"]) for a in run["approvals"]] == [("approved", APPROVER)]
    assert ("runtime", "states:SendTaskSuccess") in actions
    assert run["status"] == "SUCCEEDED" and run["pagerduty_status"] == "resolved"
    # the execution-finished handler recorded the outcome
    assert run["run_status"] == "succeeded" and run["outcome"] == "resolved"
    # the daily report read its flow's settings and posted
    assert ("runtime", "states:DescribeStateMachine") in actions and run["daily_report_posts"] == 1
    # PagerDuty's acknowledge stopped the second incident's execution
    assert len(run["stopped_runs"]) == 1 and run["stopped_run_status"] == "cancelled"
    assert ("runtime", "states:StopExecution") in actions
    # the error path's lifecycle function recorded the failure and told Slack
    assert run["lifecycle_status"] == "failed"


@pytest.mark.slow
def test_every_call_the_code_made_is_granted_by_its_document(run: dict[str, Any]) -> None:
    documents = {
        "runtime": [policy_document("policy-dev.json")],
        "deployer": [policy_document("policy-apply-dev.json")],
    }
    refused = [
        (c["principal"], c["action"], arn)
        for c in run["aws_calls"]
        if not permitted(
            documents[c["principal"]],
            c["action"],
            arn := resource_arn(c["action"].split(":")[0], c["action"].split(":")[1], c["params"], REGION, ACCOUNT_ID),
        )
    ]
    assert refused == []
    assert {c["action"] for c in _calls(run, "runtime")} >= {"dynamodb:UpdateItem", "dynamodb:Query"}


def _granted(document: dict[str, Any]) -> set[str]:
    found: set[str] = set()
    for statement in document["Statement"]:
        actions = statement["Action"]
        found.update([actions] if isinstance(actions, str) else actions)
    return found


def test_no_aws_action_in_the_code_is_left_ungranted_and_no_grant_is_unused() -> None:
    ops = operations()
    called = called_actions()
    deploy_files = (
        "chalicelib/deploy/aws.py",
        "chalicelib/deploy/executor.py",
        "chalicelib/store/dynamodb/tables.py",
        "chalicelib/cli/apply_cmd.py",
        "chalicelib/cli/doctor_cmd.py",
        "chalicelib/deploy/credentials.py",
    )
    runtime_actions = {
        a for op, files in called.items() if any(not f.startswith(deploy_files) for f in files) for a in ops[op]
    }
    deployer_actions = {
        a for op, files in called.items() if any(f.startswith(deploy_files) for f in files) for a in ops[op]
    }
    for stage in STAGES:
        # What the Lambda service does with the role, not the code: logs, traces, failed events.
        runtime = _granted(policy_document(f"policy-{stage}.json")) - {
            "logs:CreateLogGroup",
            "logs:CreateLogStream",
            "logs:PutLogEvents",
            "xray:PutTraceSegments",
            "xray:PutTelemetryRecords",
            "sqs:SendMessage",
        }
        # iam:PassRole is no call of its own: CreateStateMachine hands the role over
        deployer = _granted(policy_document(f"policy-apply-{stage}.json")) - {"iam:PassRole"}
        assert runtime_actions - runtime == set(), stage
        assert runtime - runtime_actions == set(), stage
        assert deployer_actions - deployer == set(), stage
        assert deployer - deployer_actions == set(), stage


@pytest.mark.parametrize(("stage", "other"), [("dev", "prod"), ("prod", "dev")])
def test_a_stages_documents_reach_none_of_the_other_stages_resources(stage: str, other: str) -> None:
    mine, theirs = STAGES[stage], STAGES[other]
    runtime = [policy_document(f"policy-{stage}.json")]
    deployer = [policy_document(f"policy-apply-{stage}.json")]
    arn = f"arn:aws:states:{REGION}:{ACCOUNT_ID}"
    assert permitted(runtime, "dynamodb:UpdateItem", f"arn:aws:dynamodb:{REGION}:{ACCOUNT_ID}:table/{mine}-store")
    assert not permitted(runtime, "dynamodb:UpdateItem", f"arn:aws:dynamodb:{REGION}:{ACCOUNT_ID}:table/{theirs}-store")
    assert permitted(runtime, "states:StartExecution", f"{arn}:stateMachine:{mine}-incident-auto-response")
    assert not permitted(runtime, "states:StartExecution", f"{arn}:stateMachine:{theirs}-incident-auto-response")
    assert not permitted(runtime, "states:StopExecution", f"{arn}:execution:{theirs}-incident-auto-response:x")
    assert not permitted(runtime, "ssm:GetParameter", f"arn:aws:ssm:{REGION}:{ACCOUNT_ID}:parameter/{theirs}/flows")
    assert not permitted(deployer, "states:UpdateStateMachine", f"{arn}:stateMachine:{theirs}-incident-auto-response")
    assert not permitted(deployer, "iam:PutRolePolicy", f"arn:aws:iam::{ACCOUNT_ID}:role/{theirs}-states-execution")


def test_the_packaged_machines_role_may_invoke_exactly_the_node_functions() -> None:
    resources = load_resources([ROOT / "agents", ROOT / "flows"])
    role = merge_template(resources, "aof-dev")["Resources"][ROLE_ID]
    policies = {p["PolicyName"]: p["PolicyDocument"] for p in role["Properties"]["Policies"]}
    (statement,) = policies["invoke-node-functions"]["Statement"]
    # the rest is log delivery and tracing, which AWS only grants on "*"
    other = [s for name, d in policies.items() if name != "invoke-node-functions" for s in d["Statement"]]
    assert {a.split(":")[0] for s in other for a in s["Action"]} == {"logs", "xray"}
    # chalice names each function's resource after it; resolve GetAtt to the deployed ARN
    logical = {n.replace("_", " ").title().replace(" ", ""): n for n in PLACEHOLDER_FUNCTIONS.values()}
    arns = [
        f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{function_name(logical[r['Fn::GetAtt'][0]])}"
        for r in statement["Resource"]
    ]
    resolved = {**statement, "Resource": sorted(arns)}
    wanted = execution_policy(
        [f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{function_name(n)}" for n in PLACEHOLDER_FUNCTIONS.values()]
    )["Statement"]
    # what `aofctl apply` grants its machines is what the packaged template grants, statement by statement
    assert [{k: v for k, v in s.items() if k != "Sid"} for s in [resolved, *other]] == [
        {k: v for k, v in s.items() if k != "Sid"} for s in wanted
    ]
