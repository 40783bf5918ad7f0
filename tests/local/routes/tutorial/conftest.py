"""The app's routes through ``chalice.test.Client`` on the embedded engine, with the far side of
every wire faked: the sandbox cluster, Slack's Web API and PagerDuty's REST API."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.cloud.incidents import ROOT, SECRETS, far_side

TOKEN = SECRETS["PAGERDUTY_WEBHOOK_TOKEN"]
SIGNING = SECRETS["SLACK_SIGNING_SECRET"]
APPROVER = "U0APPROVER1"


@dataclass
class Harness:
    client: Any
    local: Any
    far: dict[str, Any]
    cluster: Any

    def wait_outcome(self, run_id: str, timeout: float = 120.0) -> str:
        self.local.wait(run_id, timeout=timeout)
        run = self.local.store.runs.get_run(run_id)
        return str(run.outcome)

    def wait_pending(self, run_id: str, timeout: float = 60.0) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pending = self.local.store.approvals.find_pending_by_run(run_id)
            if pending and pending[0].message_ts:
                return pending[0]
            time.sleep(0.1)
        raise TimeoutError(f"no approval requested for {run_id}")


def _harness(scenario: str, incident: str) -> Iterator[Harness]:
    from chalice.test import Client

    import app as chalice_app
    from chalicelib.service.local import LocalApp
    from chalicelib.web import Backend, install
    from sandbox.testing import running_sandbox

    state = Path(tempfile.mkdtemp(prefix="aof-routes-"))
    with ExitStack() as stack:
        cluster = stack.enter_context(running_sandbox(scenario, speed=3.0))
        far = stack.enter_context(far_side(incident))
        import os

        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("AOF_", "AWS_"))},
            **cluster.env,
            **SECRETS,
            # No LLM keys: the agents answer with the offline model (the far side is the cluster).
            "ANTHROPIC_API_KEY": "",
            "OPENAI_API_KEY": "",
            "SLACK_API_URL": far["slack"].api_url,
            "SLACK_APPROVERS": APPROVER,
            "PAGERDUTY_API_URL": far["pagerduty"].url,
            "PAGERDUTY_FROM_EMAIL": "oncall@example.com",
            "AOF_MONITOR_SECONDS": "2",
            "AOF_STATE_DIR": str(state),
        }
        local = LocalApp([str(ROOT / "agents"), str(ROOT / "flows")], env=env, state_dir=state)
        install(Backend(env, local_app=local))
        try:
            with Client(chalice_app.app, stage_name="dev") as client:
                yield Harness(client, local, far, cluster)
        finally:
            install(None)
            local.close()


@pytest.fixture
def test001() -> Iterator[Harness]:
    yield from _harness("test001-high-memory", "TEST001")


@pytest.fixture
def test002() -> Iterator[Harness]:
    yield from _harness("test002-postgres-down", "TEST002")
