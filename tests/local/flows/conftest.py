"""The tutorial end to end on the embedded engine: a sandbox cluster plays production, Slack's
Web API and PagerDuty's REST API are local servers, agents answer with the offline model, and
the app's routes are reached through ``chalice.test.Client`` with the app's Backend installed
on the LocalApp."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import ExitStack
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
    ROOT,
    SIGNING_SECRET,
    WEBHOOK_TOKEN,
)

TITLES = {"TEST001": "High memory usage on api-deployment", "TEST002": "Database cluster down - all replicas failing"}
SCENARIOS = {"TEST001": "test001-high-memory", "TEST002": "test002-postgres-down"}


@dataclass
class Tutorial:
    local: Any
    client: Any
    slack: FakeSlackAPI
    pagerduty: FakePagerDutyAPI
    cluster: Any
    env: dict[str, str]

    def outcome(self, run_id: str) -> str:
        self.local.wait(run_id, timeout=120)
        return str(self.local.store.runs.get_run(run_id).outcome)


def tutorial_env(cluster: Any, slack: FakeSlackAPI, pagerduty: FakePagerDutyAPI, state: Path) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", "/tmp"),
        "KUBECONFIG": cluster.env["KUBECONFIG"],
        "KUBECACHEDIR": cluster.env["KUBECACHEDIR"],
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_API_URL": slack.api_url,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_APPROVERS": APPROVER,
        "PAGERDUTY_WEBHOOK_TOKEN": WEBHOOK_TOKEN,
        "PAGERDUTY_API_KEY": PAGERDUTY_KEY,
        "PAGERDUTY_API_URL": pagerduty.url,
        "PAGERDUTY_FROM_EMAIL": "oncall@example.com",
        # No LLM keys: the agents answer with the offline model, reading the sandbox cluster.
        "ANTHROPIC_API_KEY": "",
        "OPENAI_API_KEY": "",
        # The operator's override of the flow's 60 s watch after a change (the sandbox runs fast).
        "AOF_MONITOR_SECONDS": "2",
        "AOF_STATE_DIR": str(state),
    }


@pytest.fixture
def tutorial_app(tmp_path: Path) -> Iterator[Callable[..., Tutorial]]:
    """``start(incident, flows=[...])`` -> a running tutorial harness; everything stops at teardown."""
    from chalice.test import Client

    import app as chalice_app
    from chalicelib.service.local import LocalApp
    from chalicelib.web import Backend, install
    from sandbox.testing import running_sandbox

    stack = ExitStack()

    def start(
        incident: str,
        flows: list[str] | None = None,
        flow: str = "incident-auto-response",
        *,
        scenario: str | None = None,
        extra_env: dict[str, str] | None = None,
    ) -> Tutorial:
        cluster = stack.enter_context(running_sandbox(scenario or SCENARIOS[incident], speed=3.0))
        slack = stack.enter_context(FakeSlackAPI(tokens=(BOT_TOKEN,)))
        pagerduty = stack.enter_context(FakePagerDutyAPI(api_key=PAGERDUTY_KEY))
        pagerduty.add_incident(incident, title=TITLES[incident])
        state = tmp_path / "state"
        env = {**tutorial_env(cluster, slack, pagerduty, state), "AOF_WEBHOOK_FLOW": flow, **(extra_env or {})}
        quiet = stack.enter_context(open(os.devnull, "w"))
        paths = [str(ROOT / "agents"), *(flows or [str(ROOT / "flows")])]
        local = LocalApp(paths, env=env, state_dir=state, out=quiet)
        stack.callback(local.close)
        install(Backend(env, local_app=local))
        stack.callback(install, None)
        client = stack.enter_context(Client(chalice_app.app, stage_name="dev"))
        return Tutorial(local, client, slack, pagerduty, cluster, env)

    with stack:
        yield start
