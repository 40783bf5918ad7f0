"""docs/deploy.md names only what exists: IAM actions, stage settings, error names and commands.

A reader copies these into policies, ``.chalice/config.json`` and a terminal; a name that does
not exist fails there, after the reader trusted the page. So each one is checked against its
source: botocore's service models for actions and ``aws`` commands, the product's settings and
Chalice's configuration for settings, the CLI's own parser for ``aofctl``, the Makefile for
``make``, the repository for files.
"""

from __future__ import annotations

import argparse
import json
import re
import shlex
from pathlib import Path

import botocore.session
import pytest
from botocore import xform_name

from chalicelib import errors, settings
from chalicelib.cli.main import build_parser
from chalicelib.secrets import SECRET_ID_SUFFIX, SSM_SUFFIX

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
#: IAM prefix -> botocore service name, for the services the page speaks of.
SERVICES = {
    "states": "stepfunctions",
    "lambda": "lambda",
    "dynamodb": "dynamodb",
    "ssm": "ssm",
    "secretsmanager": "secretsmanager",
    "eks": "eks",
    "sts": "sts",
    "sqs": "sqs",
    "logs": "logs",
    "xray": "xray",
    "kms": "kms",
    "ec2": "ec2",
    "iam": "iam",
    "cloudformation": "cloudformation",
}
#: IAM actions that are permissions, not API operations.
PERMISSION_ONLY = {"iam:PassRole", "lambda:InvokeFunction"}
#: ``aws`` commands that are the CLI's own, not an API operation.
CLI_CUSTOMIZATIONS = {("cloudformation", "package"), ("cloudformation", "deploy"), ("eks", "get-token")}
PROGRAMS = ("aofctl", ".venv/bin/", "make ", "aws ", "kubectl ", "curl ", "chalice ")
CHALICE_STAGE_KEYS = {"environment_variables", "lambda_functions", "aof", "stages", "xray"}
AWS_VARIABLES = {"AWS_DEFAULT_REGION", "AWS_REGION"}

_session = botocore.session.get_session()


def _operations(prefix: str) -> set[str]:
    return set(_session.get_service_model(SERVICES[prefix]).operation_names)


def _blocks() -> list[str]:
    return re.findall(r"```[a-z]*\n(.*?)```", DOC, flags=re.S)


def _commands() -> list[list[str]]:
    lines = []
    for block in _blocks():
        for line in block.replace("\\\n", " ").splitlines():
            line = line.split("  #", 1)[0].strip()
            if line.startswith(PROGRAMS):
                lines.append(line)
    inline = re.findall(r"`((?:\.venv/bin/)?aofctl [^`]+|make [a-z]+[^`]*|aws [a-z]+ [a-z-]+[^`]*)`", DOC)
    return [shlex.split(c.replace("<", "").replace(">", "")) for c in [*lines, *inline]]


def test_every_iam_action_is_a_real_one() -> None:
    named = set(re.findall(r"\b(" + "|".join(SERVICES) + r"):([A-Z][a-z][A-Za-z]*)\b", DOC))
    assert {"eks:DescribeCluster", "secretsmanager:GetSecretValue", "ssm:GetParameter"} <= {
        f"{p}:{a}" for p, a in named
    }
    unknown = [f"{p}:{a}" for p, a in named if f"{p}:{a}" not in PERMISSION_ONLY and a not in _operations(p)]
    assert unknown == []


def test_every_setting_exists() -> None:
    known = {v for k, v in vars(settings).items() if k.isupper() and isinstance(v, str)}
    # Read where they are used: a quoted name in the code counts.
    for path in (ROOT / "chalicelib").rglob("*.py"):
        known |= set(re.findall(r'"([A-Z][A-Z0-9]*_[A-Z0-9_]+)"', path.read_text()))
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    known |= set(config.get("environment_variables") or {})
    stored = {f"{name}{suffix}" for name in settings.SECRET_VARIABLES for suffix in (SSM_SUFFIX, SECRET_ID_SUFFIX)}
    placeholders = {f"NAME{SSM_SUFFIX}", f"NAME{SECRET_ID_SUFFIX}"}
    named = set(re.findall(r"`([A-Z][A-Z0-9]*_[A-Z0-9_]+)`", DOC))
    for block in _blocks():
        named |= set(re.findall(r'"([A-Z][A-Z0-9]*_[A-Z0-9_]+)":', block))
    assert {"SLACK_BOT_TOKEN_SSM_PARAMETER", "AOF_CLUSTERS"} <= named
    assert named - known - stored - placeholders - AWS_VARIABLES == set()


def test_every_stage_key_of_the_examples_is_one_chalice_reads() -> None:
    from chalice.config import Config

    keys: set[str] = set()
    for block in re.findall(r"```json\n(.*?)```", DOC, flags=re.S):
        for stage in json.loads(block)["stages"].values():
            keys |= set(stage)
    assert {"subnet_ids", "security_group_ids"} <= keys
    assert [k for k in keys if k not in CHALICE_STAGE_KEYS and not hasattr(Config, k)] == []


def test_every_error_class_named_exists() -> None:
    named = set(re.findall(r"`([A-Z][a-zA-Z]+(?:Error|Denied|Unavailable|Credential))`", DOC))
    assert "MissingCredential" in named
    assert [n for n in named if not isinstance(getattr(errors, n, None), type)] == []


def _subparser(parser: argparse.ArgumentParser, name: str) -> argparse.ArgumentParser | None:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            found = action.choices.get(name)
            return found if isinstance(found, argparse.ArgumentParser) else None
    return None


@pytest.mark.parametrize("argv", _commands(), ids=lambda argv: " ".join(argv)[:60])
def test_every_command_exists(argv: list[str]) -> None:
    program = Path(argv[0]).name
    if program == "aofctl":
        sub = _subparser(build_parser(), argv[1])
        assert sub is not None, argv
        flags = [a.split("=", 1)[0] for a in argv[2:] if a.startswith("-")]
        assert [f for f in flags if f not in sub._option_string_actions] == []
    elif program == "make":
        assert re.search(rf"^{re.escape(argv[1])}:", (ROOT / "Makefile").read_text(), flags=re.M)
    elif program == "aws":
        service, command = argv[1], argv[2]
        if (service, command) not in CLI_CUSTOMIZATIONS:
            assert command in {xform_name(o, "-") for o in _operations(service)}, argv
    elif program == "kubectl":
        assert argv[1] == "apply" and (ROOT / argv[argv.index("-f") + 1]).exists()
    else:
        assert program in {"curl", "cfn-lint", "chalice"}, argv


def test_every_repository_path_named_exists() -> None:
    named = re.findall(r"`((?:\.chalice|deploy|docs|chalicelib|bench|examples|tests)/[^`*<\s]+)`", DOC)
    assert "deploy/k8s/agent-rbac.yaml" in named
    # .chalice/deployed/ is written by the first `chalice deploy`.
    assert [p for p in named if not (ROOT / p).exists() and not p.startswith(".chalice/deployed/")] == []
