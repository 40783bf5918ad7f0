"""Secrets named in the stage config come from SSM Parameter Store or Secrets Manager (moto),
cached, redacted, and never printed; a plain environment variable still wins for local use."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from chalicelib import settings
from chalicelib.deploy.credentials import configured_environments, missing, needs
from chalicelib.errors import ConfigurationError
from chalicelib.reports.redact import Redactor
from chalicelib.spec import load_resources

ROOT = Path(__file__).resolve().parents[3]
TOKEN = "xoxb-from-parameter-store-1234"
SIGNING = "signing-secret-from-secrets-manager"


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    from aws_lambda_powertools.utilities import parameters
    from moto import mock_aws

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    parameters.clear_caches()
    with mock_aws():
        ssm = boto3.client("ssm", region_name="us-east-1")
        ssm.put_parameter(Name="/aof-dev/slack-bot-token", Value=TOKEN, Type="SecureString")
        sm = boto3.client("secretsmanager", region_name="us-east-1")
        sm.create_secret(Name="aof-dev/slack-signing-secret", SecretString=SIGNING)
        yield
    parameters.clear_caches()


ENV = {
    "SLACK_BOT_TOKEN_SSM_PARAMETER": "/aof-dev/slack-bot-token",
    "SLACK_SIGNING_SECRET_SECRET_ID": "aof-dev/slack-signing-secret",
}


def test_secrets_named_by_the_stage_are_read_from_their_store_and_cached(aws: None) -> None:
    assert settings.resolve(settings.SLACK_BOT_TOKEN, None, ENV) == TOKEN
    assert settings.resolve(settings.SLACK_SIGNING_SECRET, None, ENV) == SIGNING
    # Rotated in the store: the warm function keeps its cached value (no call per incident) ...
    boto3.client("ssm").put_parameter(Name="/aof-dev/slack-bot-token", Value="rotated-1234", Overwrite=True)
    assert settings.resolve(settings.SLACK_BOT_TOKEN, None, ENV) == TOKEN
    # ... and a plain environment variable wins, for local use.
    assert settings.resolve(settings.SLACK_BOT_TOKEN, None, {**ENV, "SLACK_BOT_TOKEN": "xoxb-local"}) == "xoxb-local"


def test_fetched_secrets_are_redacted_and_not_logged(aws: None, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    settings.resolve(settings.SLACK_BOT_TOKEN, None, ENV)
    redacted = Redactor(env={}).text(f"token was {TOKEN}")
    assert TOKEN in settings.secret_values({}) and TOKEN not in redacted and "token was" in redacted
    assert TOKEN not in caplog.text


def test_a_missing_parameter_is_a_configuration_error_without_a_value(aws: None) -> None:
    env = {"PAGERDUTY_API_KEY_SSM_PARAMETER": "/aof-dev/nowhere"}
    with pytest.raises(ConfigurationError, match=r"PAGERDUTY_API_KEY.*/aof-dev/nowhere.*ParameterNotFound"):
        settings.resolve(settings.PAGERDUTY_API_KEY, None, env)


def test_non_secrets_are_never_looked_up_in_a_store() -> None:
    assert settings.resolve(settings.AOF_TABLE_PREFIX, None, {"AOF_TABLE_PREFIX_SSM_PARAMETER": "/x"}) is None


def test_doctor_counts_a_stored_secret_as_configured(tmp_path: Path) -> None:
    resources = load_resources([ROOT / "agents", ROOT / "flows"])
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    stored = {
        f"{name}{suffix}": f"/aof-dev/{name.lower()}"
        for name, suffix in (
            ("SLACK_BOT_TOKEN", "_SSM_PARAMETER"),
            ("SLACK_SIGNING_SECRET", "_SECRET_ID"),
            ("PAGERDUTY_API_KEY", "_SSM_PARAMETER"),
            ("PAGERDUTY_WEBHOOK_SECRET", "_SSM_PARAMETER"),
        )
    }
    config["stages"]["dev"].setdefault("environment_variables", {}).update(stored)
    (tmp_path / ".chalice").mkdir()
    (tmp_path / ".chalice" / "config.json").write_text(json.dumps(config))
    before = missing(needs(resources), configured_environments(ROOT, "dev"))
    after = missing(needs(resources), configured_environments(tmp_path, "dev"))
    assert before and after == []
