"""The daily analysis (on the scheduler and against the cloud store), EMF metrics, and the
tutorial's track-metrics HTTP node against a local metrics server."""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import StringIO
from pathlib import Path
from typing import Any, ClassVar

import boto3
import pytest
from moto import mock_aws

from chalicelib.errors import ConfigurationError
from chalicelib.metrics import NAMESPACE, emit_run_metrics
from chalicelib.nodes.notify import ConsoleNotifier, make_notifier
from chalicelib.reports import Scheduler, daily_analysis_jobs, parse_rate, run_daily_analysis
from chalicelib.reports.summary import run_seconds
from chalicelib.spec import load_resources
from chalicelib.store import open_store
from tests.fakes.slack_api import FakeSlackAPI
from tests.support.recorded import ROOT, SECRETS, RecordedIncidents

PATHS = [str(ROOT / "agents"), str(ROOT / "flows")]


def _env(incidents: RecordedIncidents, **extra: str) -> dict[str, str]:
    return {**incidents.env, **extra}


def test_daily_analysis_posts_the_last_day_to_its_slack_channel(incidents: RecordedIncidents) -> None:
    with FakeSlackAPI(tokens=(SECRETS["SLACK_BOT_TOKEN"],)) as slack:
        env = _env(incidents, SLACK_API_URL=slack.api_url)
        with open_store(f"sqlite:///{incidents.state_dir / 'aof.db'}") as store:
            notifier = make_notifier(env, store)
            report = run_daily_analysis(store, notifier, env, datetime.now(UTC), paths=PATHS)
            later = run_daily_analysis(store, notifier, env, datetime.now(UTC) + timedelta(days=2), paths=PATHS)
        posted = slack.channel_messages("C0POSTMORTEM")
    assert report.channel == "#sre-postmortems" and report.runs == 4
    assert later.runs == 0 and "No incidents in the past 24 hours" in later.text
    text = posted[0].text
    assert "4 incident(s) analysed; 2 auto-resolved." in text
    for incident in incidents.incidents:
        assert incident.incident_id in text
    for value in SECRETS.values():
        assert value not in text


def test_scheduler_runs_the_daily_flow_on_its_rate(incidents: RecordedIncidents) -> None:
    resources = load_resources(PATHS)
    notifier = ConsoleNotifier(StringIO())
    with open_store(f"sqlite:///{incidents.state_dir / 'aof.db'}") as store:
        jobs = daily_analysis_jobs(resources, store, notifier, incidents.env, period=timedelta(milliseconds=200))
        assert [j.name for j in jobs] == ["post-incident-daily"]
        scheduler = Scheduler(jobs)
        scheduler.start()
        try:
            deadline = time.monotonic() + 60
            while len(notifier.posted) < 2 and time.monotonic() < deadline:
                time.sleep(0.05)
        finally:
            scheduler.stop()
    assert len(notifier.posted) >= 2
    assert notifier.posted[0]["channel"] == "#sre-postmortems"
    assert "4 incident(s) analysed" in notifier.posted[0]["text"]


def test_rate_expressions() -> None:
    assert parse_rate("rate(1 day)") == timedelta(days=1)
    assert parse_rate("rate(15 minutes)") == timedelta(minutes=15)
    with pytest.raises(ConfigurationError):
        parse_rate("cron(0 8 * * ? *)")
    resources = load_resources(PATHS)
    assert daily_analysis_jobs(resources, None, None, {})[0].period == timedelta(days=1)


def test_daily_analysis_reads_the_cloud_store(incidents: RecordedIncidents) -> None:
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        with open_store("sqlite:///" + str(incidents.state_dir / "aof.db")) as local:
            cloud = open_store("dynamodb://aoftest?create=true", dynamodb_client=client)
            for incident in incidents.incidents:
                run = local.runs.get_run(incident.run_id)
                assert run is not None
                cloud.runs.create_run(run)
                for event in local.runs.events(run.run_id):
                    cloud.runs.append_event(run.run_id, event.replace(seq=0))
        notifier = ConsoleNotifier(StringIO())
        report = run_daily_analysis(cloud, notifier, incidents.env, datetime.now(UTC), paths=PATHS)
    assert report.runs == 4
    assert "2 auto-resolved" in notifier.posted[0]["text"]


def test_run_metrics_are_embedded_metric_format(incidents: RecordedIncidents) -> None:
    with open_store(f"sqlite:///{incidents.state_dir / 'aof.db'}") as store:
        for incident in incidents.incidents:
            run = store.runs.get_run(incident.run_id)
            assert run is not None
            out = StringIO()
            emit_run_metrics(run, store.runs.events(run.run_id), out=out)
            document = json.loads(out.getvalue())
            directive = document["_aws"]["CloudWatchMetrics"][0]
            assert directive["Namespace"] == NAMESPACE and ["flow", "service"] in directive["Dimensions"]
            names = {m["Name"] for m in directive["Metrics"]}
            assert {"Runs", "RunsResolved", "RunsEscalated", "RunDuration", "LLMInputTokens"} <= names
            assert document["flow"] == "incident-auto-response"
            resolved = 1.0 if incident.outcome == "resolved" else 0.0
            assert document["RunsResolved"] in (resolved, [resolved])
            duration = document["RunDuration"]
            assert (duration[0] if isinstance(duration, list) else duration) == pytest.approx(run_seconds(run))


class _MetricsServer(BaseHTTPRequestHandler):
    received: ClassVar[list[dict[str, Any]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        type(self).received.append({"path": self.path, "body": json.loads(body)})
        self.send_response(202)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        return None


def test_track_metrics_node_posts_the_incident_figures(incidents: RecordedIncidents, tmp_path: Path) -> None:
    from chalicelib.nodes.deps import deps_from_env
    from chalicelib.nodes.http import handle
    from chalicelib.nodes.models import NodeInput

    server = ThreadingHTTPServer(("127.0.0.1", 0), _MetricsServer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    flow = load_resources([str(ROOT / "examples/production"), str(ROOT / "agents")]).flows
    (resource,) = flow.values()
    config = resource.spec.node("track-metrics").config
    node_config = config if isinstance(config, dict) else config.model_dump(exclude_none=True)
    # The tutorial posts to metrics.yourcompany.com; here the same node posts to a local server.
    node_config = {
        **node_config,
        "url": f"http://127.0.0.1:{server.server_address[1]}/incidents",
    }
    started = (datetime.now(UTC) - timedelta(seconds=42)).isoformat()
    state = {
        "event": {"incident": {"id": "TEST001"}},
        "vars": {"INCIDENT_ID": "TEST001"},
        "nodes": {
            "diagnose_with_runbook": {"status": "succeeded", "output": {"severity": "high"}},
            "remediate": {"status": "succeeded", "output": {"result": "success"}},
        },
        "flow": {"name": resource.name, "run_id": "r1", "started_at": started},
    }
    event = NodeInput.model_validate(
        {
            "node": {"id": "track-metrics", "type": "HTTP", "config": node_config},
            "agents": {},
            "flow": {"name": resource.name, "allowed_hosts": ["127.0.0.1"]},  # the flow's egress allowlist
            "state": state,
            "context": {"execution_id": "x", "execution_name": "r1", "started_at": started},
        }
    )
    try:
        with open_store(f"sqlite:///{tmp_path / 'aof.db'}") as store:
            result = handle(event, deps_from_env(store, {"PATH": "/usr/bin"}))
    finally:
        server.shutdown()
        server.server_close()
    assert result.output["status_code"] == 202
    (call,) = _MetricsServer.received
    body = call["body"]
    assert call["path"] == "/incidents"
    assert body["incident_id"] == "TEST001" and body["severity"] == "high" and body["auto_resolved"] is True
    assert 40 <= body["duration"] <= 120


def test_the_cloud_app_posts_the_daily_report_on_its_schedule(incidents: RecordedIncidents, monkeypatch) -> None:
    """app.py's ``@app.schedule`` function, invoked as EventBridge would, on the DynamoDB store."""
    from tests.support.schedule import invoke_schedule

    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws(), FakeSlackAPI(tokens=("xoxb-daily",)) as slack:
        client = boto3.client("dynamodb", region_name="us-east-1")
        cloud = open_store("dynamodb://aofdaily?create=true", dynamodb_client=client)
        with open_store("sqlite:///" + str(incidents.state_dir / "aof.db")) as local:
            for incident in incidents.incidents:
                run = local.runs.get_run(incident.run_id)
                assert run is not None
                started = (datetime.now(UTC) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
                cloud.runs.create_run(run.replace(started_at=started))
                # The history too: whether a run resolved on its own or after an approval is
                # read from its events, as in the deployed stage.
                for event in local.runs.events(incident.run_id):
                    cloud.runs.append_event(incident.run_id, event)
        env = {
            **incidents.env,
            "AOF_BACKEND": "aws",
            "AOF_TABLE_PREFIX": "aofdaily",
            "SLACK_BOT_TOKEN": "xoxb-daily",
            "SLACK_API_URL": slack.api_url,
            "AWS_DEFAULT_REGION": "us-east-1",
        }
        invoke_schedule(env, monkeypatch)
        posted = slack.calls_to("chat.postMessage")
    assert posted, "the daily report reached Slack"
    assert posted[-1].params["channel"] == "#sre-postmortems"
    assert "4 incident(s) analysed; 2 auto-resolved." in posted[-1].params["text"]
