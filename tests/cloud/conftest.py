from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from tests.cloud.incidents import write_deployed

ACCOUNT = "123456789012"
REGION = "us-east-1"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A Chalice project as ``chalice deploy --stage dev`` leaves it (config + deployed ARNs)."""
    write_deployed(tmp_path, ACCOUNT, REGION)
    return tmp_path


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """A moto account; boto3 clients for what ``aofctl apply`` manages."""
    for key in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        services = ("dynamodb", "iam", "stepfunctions", "ssm", "logs", "sqs", "lambda")
        clients = {name: boto3.client(name, region_name=REGION) for name in services}
        _deployed_async_functions(clients)
        yield clients


def _deployed_async_functions(clients: dict[str, Any]) -> None:
    """The asynchronously invoked functions ``chalice deploy`` made (apply configures their failures)."""
    from chalicelib.deploy.desired import ASYNC_FUNCTIONS
    from tests.cloud.incidents import function_name

    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
    role = clients["iam"].create_role(RoleName="functions", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("app.py", "def handler(event, context):\n    return event\n")
    for short in ASYNC_FUNCTIONS:
        clients["lambda"].create_function(
            FunctionName=function_name(short),
            Runtime="python3.11",
            Role=role,
            Handler="app.handler",
            Code={"ZipFile": code.getvalue()},
        )
