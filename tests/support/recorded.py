"""Real incidents recorded once per test session: sandbox clusters, the embedded engine, fake
Slack, PagerDuty and LLM servers, and secret-looking values in every secret variable."""

from __future__ import annotations

import json
import os
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from chalicelib.nodes.approvals import resolve_approval
from chalicelib.service.local import LocalApp
from chalicelib.webhooks.execution_names import execution_name
from sandbox.testing import running_sandbox
from tests.fakes.pagerduty_api import FakePagerDutyAPI
from tests.fakes.slack_api import FakeSlackAPI

ROOT = Path(__file__).resolve().parents[2]
FLOW = "incident-auto-response"

SECRETS = {
    "SLACK_BOT_TOKEN": "xoxb-SECRET-slack-7731",
    "SLACK_SIGNING_SECRET": "SECRET-signing-7732",
    "PAGERDUTY_API_KEY": "SECRET-pd-key-7733",
    "PAGERDUTY_WEBHOOK_TOKEN": "SECRET-webhook-token-7734",
    "PAGERDUTY_WEBHOOK_SECRET": "SECRET-webhook-secret-7735",
    "ANTHROPIC_API_KEY": "sk-ant-SECRET-7736",
    "OPENAI_API_KEY": "sk-SECRET-openai-7737",
}

# (scenario, decision the on-call engineer takes when asked, expected outcome)
SCENARIOS = (
    ("test001-high-memory", None, "resolved"),
    ("statefulset-disk-full", "approve", "escalated"),
    ("crashloop-bad-config", "approve", "resolved"),
    ("unschedulable-pods", "skip", "escalated"),
)
APPROVER = "U0APPROVER1"


@dataclass
class Incident:
    scenario: str
    run_id: str
    incident_id: str
    outcome: str
    decision: str | None


@dataclass
class RecordedIncidents:
    state_dir: Path
    env: dict[str, str]
    incidents: list[Incident] = field(default_factory=list)

    def by_scenario(self, name: str) -> Incident:
        return next(i for i in self.incidents if i.scenario == name)


class _RejectingLLM(BaseHTTPRequestHandler):
    """Both LLM APIs answering 401: the agents fall back to ``builtin:triage`` at once."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if "messages" in self.path and "chat" not in self.path:
            body = {"type": "error", "error": {"type": "authentication_error", "message": "invalid x-api-key"}}
        else:
            body = {
                "error": {
                    "message": "Incorrect API key provided",
                    "type": "invalid_request_error",
                    "code": "invalid_api_key",
                }
            }
        data = json.dumps(body).encode()
        self.send_response(401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        return None


@contextmanager
def fake_far_side() -> Iterator[tuple[FakeSlackAPI, FakePagerDutyAPI, str]]:
    llm = ThreadingHTTPServer(("127.0.0.1", 0), _RejectingLLM)
    threading.Thread(target=llm.serve_forever, daemon=True).start()
    slack = FakeSlackAPI(tokens=(SECRETS["SLACK_BOT_TOKEN"],)).start()
    pagerduty = FakePagerDutyAPI(api_key=SECRETS["PAGERDUTY_API_KEY"]).start()
    try:
        yield slack, pagerduty, f"http://127.0.0.1:{llm.server_address[1]}"
    finally:
        slack.stop()
        pagerduty.stop()
        llm.shutdown()


def _decide_when_asked(app: LocalApp, run_id: str, decision: str) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        pending = app.store.approvals.find_pending_by_run(run_id)
        if pending and pending[0].message_ts:
            resolve_approval(
                app.store, app.runtime.send_task_success, pending[0].approval_id, decision, APPROVER, datetime.now(UTC)
            )
            return
        time.sleep(0.1)


def record_incidents(state_dir: Path) -> RecordedIncidents:
    from sandbox.scenarios import load_scenario

    recorded = RecordedIncidents(state_dir=state_dir, env={})
    with fake_far_side() as (slack, pagerduty, llm_url):
        for scenario_name, decision, outcome in SCENARIOS:
            scenario = load_scenario(scenario_name)
            pagerduty.add_incident(scenario.incident_id, title=str(scenario.incident["event"]["incident"]["title"]))
            with running_sandbox(scenario_name) as cluster:
                env = {
                    **os.environ,
                    **cluster.env,
                    **SECRETS,
                    "SLACK_API_URL": slack.api_url,
                    "PAGERDUTY_API_URL": pagerduty.url,
                    "PAGERDUTY_FROM_EMAIL": "oncall@example.com",
                    "ANTHROPIC_BASE_URL": llm_url,
                    "OPENAI_BASE_URL": llm_url + "/v1",
                    "AOF_STATE_DIR": str(state_dir),
                    # The watch after each change: long enough to see health return, short for tests.
                    "AOF_MONITOR_SECONDS": "2",
                }
                recorded.env = env
                app = LocalApp(
                    [str(ROOT / "agents"), str(ROOT / "flows")], env=env, state_dir=state_dir, out=open(os.devnull, "w")
                )
                try:
                    flow_event = scenario.incident_payload["event"]
                    flow_event = {"incident": flow_event["incident"], "event_id": f"evt-{scenario_name}"}
                    name = execution_name(scenario.incident_id, f"views-{scenario_name}")
                    run_id = app.start_run(FLOW, flow_event, name)
                    if decision:
                        threading.Thread(target=_decide_when_asked, args=(app, run_id, decision), daemon=True).start()
                    app.wait(run_id, timeout=180)
                finally:
                    app.close()
            recorded.incidents.append(Incident(scenario_name, run_id, scenario.incident_id, outcome, decision))
    return recorded


_CACHE: dict[str, RecordedIncidents] = {}


def shared_incidents() -> RecordedIncidents:
    """One recording per test session, shared by tests/local/views, tests/local/cli and tests/unit/reports."""
    if "default" not in _CACHE:
        _CACHE["default"] = record_incidents(Path(tempfile.mkdtemp(prefix="aof-views-")))
    return _CACHE["default"]


if __name__ == "__main__":
    started = time.monotonic()
    result = record_incidents(Path(os.environ.get("AOF_STATE_DIR", tempfile.mkdtemp(prefix="aof-views-"))))
    for incident in result.incidents:
        print(incident)
    print(result.state_dir, f"{time.monotonic() - started:.1f}s")
