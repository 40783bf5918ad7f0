"""``aofctl package`` + ``chalice package --merge-template``: one template cfn-lint accepts.

Runs offline: the project is packaged with an empty requirements file (the wheels are what
``bench/package.py`` measures), which leaves the template itself exactly as deployed.
"""

from __future__ import annotations

import importlib.util
import json
import os
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
    work = tmp_path_factory.mktemp("package")
    shutil.copy(ROOT / "app.py", work / "app.py")
    shutil.copytree(ROOT / "chalicelib", work / "chalicelib", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / ".chalice", work / ".chalice", ignore=shutil.ignore_patterns("deployments", "deployed"))
    (work / "requirements.txt").write_text("")
    # What `make package` runs first, so the Lambda does not compile our modules at cold start.
    compileall = [sys.executable, "-m", "compileall", "-q", "--invalidation-mode", "checked-hash", "chalicelib"]
    subprocess.run(compileall, cwd=work, check=True)
    env = {**os.environ, "AWS_DEFAULT_REGION": "us-east-1"}
    merge = work / "merge.json"
    aofctl = [sys.executable, "-m", "chalicelib.cli.main", "package", "-f", "agents", "-f", "flows"]
    subprocess.run([*aofctl, "--project-dir", str(work), "-o", str(merge)], cwd=ROOT, env=env, check=True)
    out = work / "out"
    chalice = [str(BIN / "chalice"), "--project-dir", str(work), "package", "--merge-template", str(merge), str(out)]
    subprocess.run(chalice, env=env, check=True, capture_output=True)
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


def test_state_machine_definitions_point_at_the_packaged_functions(template: tuple[Path, dict[str, Any]]) -> None:
    _, body = template
    machine = body["Resources"]["IncidentAutoResponseStateMachine"]["Properties"]
    parts = machine["DefinitionString"]["Fn::Join"][1]
    referenced = {p["Fn::GetAtt"][0] for p in parts if isinstance(p, dict)}
    assert referenced == {"TransformNode", "AgentNode", "SlackNode", "HttpNode", "ApprovalNode", "Lifecycle"}
    assert referenced <= set(body["Resources"])
    text = "".join(p if isinstance(p, str) else "ARN" for p in parts)
    assert "FunctionArn}" not in text
    definition = json.loads(text)
    assert definition["StartAt"] == "parse-alert"  # still one valid definition once joined
    # the stage's http_node timeout (120 s) plus the margin: the state outlasts the function
    assert definition["States"]["close-pagerduty"]["TimeoutSeconds"] == 130
    role = body["Resources"]["FlowExecutionRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    assert [s["Action"] for s in role] == ["lambda:InvokeFunction"]


def test_cfn_lint_accepts_the_template(template: tuple[Path, dict[str, Any]]) -> None:
    path, _ = template
    lint = subprocess.run([str(BIN / "cfn-lint"), str(path)], capture_output=True, text=True)
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
