"""The app's routes through ``chalice.test.Client`` on a LocalApp (the embedded engine), with
Slack's Web API and PagerDuty's REST API faked on 127.0.0.1.

The flows here are small on purpose (parse the alert, ask for an approval, act): route
behaviour (status codes, deliveries, approvals) is what these tests are about, and a run that
reaches the approval in milliseconds keeps them fast. The tutorial's whole flow runs in
``tests/local/flows``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.pagerduty_api import FakePagerDutyAPI
from tests.fakes.slack_api import FakeSlackAPI
from tests.local.routes.support import (
    APPROVER,
    BOT_TOKEN,
    PAGERDUTY_KEY,
    SIGNING_SECRET,
    WEBHOOK_SECRET,
    WEBHOOK_TOKEN,
    pending_approval,
    wait_for,
)

FLOW = "routes-check"
TIMEOUT_FLOW = "routes-timeout"

_NODES = """
  nodes:
    - id: parse-alert
      type: Transform
      config:
        script: |
          export INCIDENT_ID="${event.incident.id}"
          export INCIDENT_TITLE="${event.incident.title}"
          export K8S_NAMESPACE="${event.incident.custom_details.namespace:-default}"
          export K8S_RESOURCE="${event.incident.custom_details.resource}"
    - id: request-approval
      type: Slack
      config:
        channel: "#incidents"
        message: |
          ⚠️ **Approval Required**

          **Incident**: ${INCIDENT_TITLE}
          **Namespace**: ${K8S_NAMESPACE}
        wait_for_reaction: true
        timeout_seconds: TIMEOUT
    - id: act
      type: Transform
      config:
        script: export ACTED=true
      conditions:
        - from: request-approval
          when: reaction == "white_check_mark"
  connections:
    - from: parse-alert
      to: request-approval
    - from: request-approval
      to: act
"""


def flow_yaml(name: str, path: str, timeout: int) -> str:
    head = (
        "apiVersion: aof.dev/v1\nkind: AgentFlow\nmetadata:\n"
        f"  name: {name}\nspec:\n  trigger:\n    type: Webhook\n    config:\n      path: {path}\n"
    )
    return head + _NODES.replace("TIMEOUT", str(timeout))


def write_flows(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "routes-check.yaml").write_text(flow_yaml(FLOW, "/pagerduty/webhook", 600))
    (directory / "routes-timeout.yaml").write_text(flow_yaml(TIMEOUT_FLOW, "/pagerduty/timeout", 1))
    return directory


def route_env(slack: FakeSlackAPI, pagerduty: FakePagerDutyAPI, state: Path) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", ""),
        "PAGERDUTY_WEBHOOK_TOKEN": WEBHOOK_TOKEN,
        "PAGERDUTY_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "PAGERDUTY_API_KEY": PAGERDUTY_KEY,
        "PAGERDUTY_API_URL": pagerduty.url,
        "PAGERDUTY_FROM_EMAIL": "oncall@example.com",
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_API_URL": slack.api_url,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_APPROVERS": APPROVER,
        "AOF_WEBHOOK_FLOW": FLOW,
        "AOF_STATE_DIR": str(state),
        "ANTHROPIC_API_KEY": "",
        "OPENAI_API_KEY": "",
    }


@dataclass
class Routes:
    client: Any
    local: Any
    slack: FakeSlackAPI
    pagerduty: FakePagerDutyAPI
    env: dict[str, str]

    def post(self, body: bytes | str, headers: dict[str, str]) -> Any:
        return self.client.http.post("/pagerduty/webhook", headers=headers, body=body)

    def slack_post(self, path: str, body: bytes, headers: dict[str, str]) -> Any:
        return self.client.http.post(path, headers=headers, body=body)

    def runs(self) -> list[Any]:
        return list(self.local.store.runs.list_runs())

    def executions(self) -> list[Any]:
        return list(self.local.engine.list_executions())

    def approval(self, run_id: str) -> Any:
        return pending_approval(self.local.store, run_id)

    def finished(self, run_id: str) -> Any:
        return self.local.wait(run_id, timeout=30)

    def flow_input(self, run_id: str) -> dict[str, Any]:
        """``$.event`` as the run received it."""
        execution = wait_for("the execution", lambda: self.local.store.runs.get_run(run_id).execution_arn)
        described: dict[str, Any] = self.local.runtime.describe(execution).input
        return dict(described["event"])


@pytest.fixture
def routes(tmp_path: Path) -> Iterator[Routes]:
    from chalice.test import Client

    import app as chalice_app
    from chalicelib.service.local import LocalApp
    from chalicelib.web import Backend, install

    with FakeSlackAPI(tokens=(BOT_TOKEN,)) as slack, FakePagerDutyAPI(api_key=PAGERDUTY_KEY) as pagerduty:
        env = route_env(slack, pagerduty, tmp_path / "state")
        flows = write_flows(tmp_path / "flows")
        with open(os.devnull, "w") as quiet:
            local = LocalApp([str(flows)], env=env, state_dir=tmp_path / "state", out=quiet)
            install(Backend(env, local_app=local))
            try:
                with Client(chalice_app.app, stage_name="dev") as client:
                    yield Routes(client, local, slack, pagerduty, env)
            finally:
                install(None)
                local.close()
