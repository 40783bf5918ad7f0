from __future__ import annotations

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
        services = ("dynamodb", "iam", "stepfunctions", "ssm", "logs")
        yield {name: boto3.client(name, region_name=REGION) for name in services}
