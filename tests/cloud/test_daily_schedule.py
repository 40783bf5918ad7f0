"""The daily report in the cloud: a Lambda package has no ``agents/`` or ``flows/`` beside
``app.py``, so the scheduled function reads its analyzer and channel from what ``aofctl apply``
deployed (the post-incident-daily state machine), and says clearly when nothing was applied."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest

from chalicelib.errors import ConfigurationError
from chalicelib.store import RunRecord, open_store
from tests.cloud.incidents import ROOT
from tests.cloud.test_apply import aofctl
from tests.fakes.slack_api import FakeSlackAPI
from tests.support.schedule import invoke_schedule

REGION = "us-east-1"


def daily_flows(tmp_path: Path, channel: str) -> Path:
    flows = tmp_path / "flows"
    shutil.copytree(ROOT / "flows", flows)
    daily = flows / "post-incident-daily.yaml"
    daily.write_text(daily.read_text().replace('"#sre-postmortems"', f'"{channel}"'))
    return flows


def packaged_env(tmp_path: Path, slack: FakeSlackAPI) -> dict[str, str]:
    """A Lambda's view: the stage's table prefix, Slack, and no YAML on disk."""
    return {
        "AOF_BACKEND": "aws",
        "AOF_TABLE_PREFIX": "aof-dev",
        "AOF_AGENTS_DIR": str(tmp_path / "not-packaged" / "agents"),
        "AOF_FLOWS_DIR": str(tmp_path / "not-packaged" / "flows"),
        "SLACK_BOT_TOKEN": "xoxb-daily",
        "SLACK_API_URL": slack.api_url,
        "ANTHROPIC_API_KEY": "",
        "OPENAI_API_KEY": "",
        "AWS_DEFAULT_REGION": REGION,
    }


def test_the_scheduled_report_uses_the_applied_daily_flow_without_any_yaml(
    project: Path, aws: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    flows = daily_flows(tmp_path, "#ops-daily")
    code, out = aofctl(
        "apply", "-f", str(ROOT / "agents"), "-f", str(flows), "--stage", "dev", "--project-dir", str(project)
    )
    assert code == 0, out
    store = open_store("dynamodb://aof-dev", dynamodb_client=boto3.client("dynamodb", region_name=REGION))
    an_hour_ago = datetime.now(UTC) - timedelta(hours=1)
    store.runs.create_run(
        RunRecord(
            run_id="pd-TEST001",
            flow="incident-auto-response",
            incident_id="TEST001",
            status="succeeded",
            outcome="resolved",
            started_at=an_hour_ago,
            ended_at=an_hour_ago + timedelta(minutes=3),
            title="High memory usage on api-deployment",
        )
    )

    with FakeSlackAPI(tokens=("xoxb-daily",)) as slack:
        slack.channels["C0OPSDAILY"] = "ops-daily"
        invoke_schedule(packaged_env(tmp_path, slack), monkeypatch)
        posted = slack.calls_to("chat.postMessage")

    assert [p.params["channel"] for p in posted] == ["#ops-daily"], "the channel the applied flow names"
    assert "TEST001" in posted[0].params["text"]


def test_with_no_daily_flow_applied_and_no_yaml_the_schedule_says_what_to_do(
    aws: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with FakeSlackAPI(tokens=("xoxb-daily",)) as slack:
        with pytest.raises(ConfigurationError, match="no post-incident-daily flow applied \\(aofctl apply\\)"):
            invoke_schedule(packaged_env(tmp_path, slack), monkeypatch)
        assert slack.calls_to("chat.postMessage") == []
