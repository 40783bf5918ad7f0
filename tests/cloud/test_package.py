"""``aofctl package`` + ``chalice package --merge-template``: one template cfn-lint accepts.

Runs offline and with no AWS environment: the project is packaged with an empty requirements file (the wheels are what
``bench/package.py`` measures), which leaves the template itself exactly as deployed.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

from tests.cloud.incidents import ROOT

BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """What ``make package`` writes, run with no AWS variable at all (the region is the stage's)."""
    work = tmp_path_factory.mktemp("package")
    for name in ("app.py", "Makefile", "pyproject.toml", "requirements-dev.txt"):
        shutil.copy(ROOT / name, work / name)
    for folder in ("chalicelib", "agents", "flows"):
        shutil.copytree(ROOT / folder, work / folder, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / ".chalice", work / ".chalice", ignore=shutil.ignore_patterns("deployments", "deployed"))
    (work / "requirements.txt").write_text("")
    # The worktree's environment, already installed: make finds its stamp newer than these files.
    (work / ".venv").symlink_to(BIN.parent)
    for name in ("pyproject.toml", "requirements-dev.txt", "requirements.txt"):
        os.utime(work / name, (0, 0))
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env["HOME"] = str(work)  # no ~/.aws/config either
    made = subprocess.run(["make", "package"], cwd=work, env=env, capture_output=True, text=True)
    assert made.returncode == 0, made.stdout[-2000:] + made.stderr[-2000:]
    out = work / "build" / "package"
    return out / "sam.json", json.loads((out / "sam.json").read_text())


def test_one_template_holds_api_lambdas_table_role_and_state_machines(template: tuple[Path, dict[str, Any]]) -> None:
    _, body = template
    types = {name: r["Type"] for name, r in body["Resources"].items()}
    assert types["RestAPI"] == "AWS::Serverless::Api"
    for function in ("AgentNode", "TransformNode", "SlackNode", "ApprovalNode", "HttpNode", "Lifecycle"):
        assert types[function] == "AWS::Serverless::Function", function
    assert types["AofDevStoreTable"] == "AWS::DynamoDB::Table"
    assert types["FlowExecutionRole"] == "AWS::IAM::Role"
    assert types["IncidentAutoResponseStateMachine"] == "AWS::StepFunctions::StateMachine"
    assert types["FlowRegistryParameter"] == "AWS::SSM::Parameter"
    # timeouts from .chalice/config.json: minutes for the agent, seconds for the webhook
    assert body["Resources"]["AgentNode"]["Properties"]["Timeout"] == 110  # below its Task states' timeouts
    assert body["Resources"]["APIHandler"]["Properties"]["Timeout"] == 10


def _definition(body: dict[str, Any], machine: str) -> tuple[set[str], dict[str, Any]]:
    text = body["Resources"][machine]["Properties"]["DefinitionString"]["Fn::Sub"]
    referenced = set(re.findall(r"\$\{(\w+)\.Arn\}", text))
    assert re.findall(r"\$\{(?!!)", text) == ["${"] * len(re.findall(r"\$\{\w+\.Arn\}", text))
    return referenced, json.loads(re.sub(r"\$\{\w+\.Arn\}", "ARN", text))


def test_state_machine_definitions_point_at_the_packaged_functions(template: tuple[Path, dict[str, Any]]) -> None:
    _, body = template
    referenced, definition = _definition(body, "IncidentAutoResponseStateMachine")
    assert referenced == {"TransformNode", "AgentNode", "SlackNode", "HttpNode", "ApprovalNode", "Lifecycle"}
    assert referenced <= set(body["Resources"])
    assert definition["StartAt"] == "parse-alert"  # still one valid definition once substituted
    # the flows' own expressions survive as themselves
    assert "https://api.pagerduty.com/incidents/${INCIDENT_ID}" in json.dumps(definition)
    # the stage's http_node timeout (120 s) plus the margin: the state outlasts the function
    assert definition["States"]["close-pagerduty"]["TimeoutSeconds"] == 130
    role = body["Resources"]["FlowExecutionRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    assert [s["Action"] for s in role] == ["lambda:InvokeFunction"]
    registry = body["Resources"]["FlowRegistryParameter"]["Properties"]["Value"]["Fn::Sub"]
    assert "${IncidentAutoResponseStateMachine}" in registry


def test_the_stage_is_operable(template: tuple[Path, dict[str, Any]]) -> None:
    _, body = template
    resources = body["Resources"]
    table = resources["AofDevStoreTable"]
    assert table["DeletionPolicy"] == table["UpdateReplacePolicy"] == "Retain"  # history outlives the stack
    for machine in ("IncidentAutoResponseStateMachine", "PostIncidentDailyStateMachine"):
        properties = resources[machine]["Properties"]
        assert properties["LoggingConfiguration"]["Level"] == "ERROR"
        assert properties["LoggingConfiguration"]["IncludeExecutionData"] is False  # no incident text in logs
        assert properties["TracingConfiguration"] == {"Enabled": True}
    for function in ("ExecutionFinished", "PostIncidentDaily"):
        destination = resources[f"{function}InvokeConfig"]["Properties"]["DestinationConfig"]["OnFailure"]
        assert destination == {"Destination": {"Fn::GetAtt": ["AsyncFailureQueue", "Arn"]}}
    assert resources["APIHandler"]["Properties"]["ReservedConcurrentExecutions"] == 20
    assert {resources[f]["Properties"]["Tracing"] for f in ("APIHandler", "AgentNode", "HttpNode")} == {"Active"}


def test_cfn_lint_accepts_the_template(template: tuple[Path, dict[str, Any]]) -> None:
    path, _ = template
    lint = subprocess.run(
        [str(BIN / "cfn-lint"), "--include-checks", "I", "--", str(path)], capture_output=True, text=True
    )
    assert lint.returncode == 0, lint.stdout + lint.stderr


def test_the_package_ships_bytecode_checked_against_its_sources(template: tuple[Path, dict[str, Any]]) -> None:
    """A Lambda cannot write __pycache__: without shipped bytecode each cold start compiles
    chalicelib first. Hash-checked .pyc are used only while they match their source."""
    package = template[0].parent / "deployment.zip"
    tag = sys.implementation.cache_tag
    with zipfile.ZipFile(package) as zipped:
        names = set(zipped.namelist())
        sources = [n for n in names if n.startswith("chalicelib/") and n.endswith(".py")]
        assert sources
        for source in sources:
            folder, _, module = source.rpartition("/")
            compiled = f"{folder}/__pycache__/{module[:-3]}.{tag}.pyc"
            assert compiled in names, f"{source} ships without bytecode"
            header = zipped.read(compiled)[:16]
            assert int.from_bytes(header[4:8], "little") == 0b11, f"{compiled} is not hash-checked"
            assert header[8:16] == importlib.util.source_hash(zipped.read(source)), f"{compiled} is stale"
