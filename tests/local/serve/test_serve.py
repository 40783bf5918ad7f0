"""``aofctl serve`` as a user meets it: what it says at start, its routes, its request log."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from tests.local.serve.conftest import ROOT, TOKEN, Server, aofctl, wait_until

QUICK = """apiVersion: aof.dev/v1
kind: AgentFlow
metadata:
  name: quick
spec:
  trigger:
    type: Webhook
    config:
      path: /pagerduty/webhook
  nodes:
    - id: parse-alert
      type: Transform
      config:
        script: export INCIDENT_ID="${event.incident.id}"
"""


def incident_body(n: int) -> bytes:
    event = json.loads((ROOT / "examples/events/test001.json").read_text())
    text = json.dumps(event).replace("TEST001", f"LOAD{n:03d}")
    return text.encode()


@pytest.fixture
def quick_server(servers: Callable[..., Server], tmp_path: Path) -> Server:
    (tmp_path / "flows").mkdir()
    (tmp_path / "flows" / "quick.yaml").write_text(QUICK)
    env = {**os.environ, "PAGERDUTY_WEBHOOK_TOKEN": TOKEN, "AOF_WEBHOOK_FLOW": "quick", "PYTHONUNBUFFERED": "1"}
    env.pop("SLACK_BOT_TOKEN", None)
    env.pop("SLACK_SIGNING_SECRET", None)
    return servers(tmp_path / "state", env, ("-f", str(tmp_path / "flows")))


def post(server: Server, body: bytes, token: str = TOKEN) -> tuple[int, dict[str, Any]]:
    return server.post(
        "/pagerduty/webhook", body, {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    )


def test_start_banner_names_the_url_and_what_is_configured_without_secrets(quick_server: Server) -> None:
    banner = quick_server.output
    assert f"listening on {quick_server.url}" in banner
    assert "webhook:   Bearer token (PAGERDUTY_WEBHOOK_TOKEN)" in banner
    assert "messages printed here (SLACK_BOT_TOKEN is not set)" in banner
    assert "quick (webhook /pagerduty/webhook)" in banner
    assert TOKEN not in banner
    assert quick_server.get("/healthz") == (200, {"ok": True})


def test_webhook_starts_a_run_once_and_the_request_log_has_no_token(quick_server: Server) -> None:
    status, first = post(quick_server, incident_body(1))
    assert status == 202 and first["duplicate"] is False
    status, again = post(quick_server, incident_body(1))
    assert status == 200 and again["duplicate"] is True and again["run_id"] == first["run_id"]
    status, refused = post(quick_server, incident_body(2), token="wrong")
    assert status == 401 and "invalid or missing credentials" in json.dumps(refused)

    def log() -> list[str]:
        return [line for line in quick_server.lines if line.startswith("127.0.0.1 POST /pagerduty/webhook")]

    wait_until(lambda: len(log()) >= 3, what="the request log")
    assert [line.split()[3] for line in log()[:3]] == ["202", "200", "401"]
    assert TOKEN not in quick_server.output and "wrong" not in quick_server.output


def test_two_hundred_incidents_posted_at_once_each_start_one_run(quick_server: Server) -> None:
    with ThreadPoolExecutor(max_workers=200) as pool:
        answers = list(pool.map(lambda n: post(quick_server, incident_body(n)), range(200)))
    assert [status for status, _ in answers] == [202] * 200
    assert len({body["run_id"] for _, body in answers}) == 200
    assert quick_server.terminate() == 0


def test_approve_refuses_clearly_when_there_is_nothing_to_approve(quick_server: Server) -> None:
    state_dir = quick_server.state_dir
    unknown = aofctl(
        "approve", "no-such-run", "--decision", "approve", "--state-dir", str(state_dir), env=dict(os.environ)
    )
    assert unknown.returncode == 1 and "no run, incident or approval 'no-such-run'" in unknown.stderr
    _, body = post(quick_server, incident_body(7))
    args = ("approve", body["run_id"], "--decision", "approve", "--by", "bob", "--state-dir", str(state_dir))
    nothing = aofctl(*args, env=dict(os.environ))
    assert nothing.returncode == 3
    assert f"nothing to approve: run {body['run_id']} has no pending approval" in nothing.stderr


def test_the_server_loads_its_http_stack_before_the_engine_resumes_runs(tmp_path: Path) -> None:
    """A restarted `aofctl serve` once hung before printing its banner: chalice.local imports
    through six.moves, whose import hook holds Python's global import lock while it imports, and
    an engine worker resuming a run was importing at the same moment. The server must finish
    those imports before the engine (and its workers) start."""
    probe = (
        "import sys\n"
        "import chalicelib.service.local as local\n"
        "class Probe:\n"
        "    def __init__(self, *args, **kwargs):\n"
        "        print('chalice.local loaded before the engine:', 'chalice.local' in sys.modules)\n"
        "        raise SystemExit(0)\n"
        "local.LocalApp = Probe\n"
        "from chalicelib.cli.main import main\n"
        f"main(['serve', '--port', '0', '--state-dir', {str(tmp_path)!r}])\n"
    )
    ran = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert "chalice.local loaded before the engine: True" in ran.stdout, ran.stdout + ran.stderr
