"""How fast does ``POST /slack/interactivity`` answer? Slack gives us 3,000 ms.

Goes through the real thing: ``app.py``'s route via ``chalice.test.Client``, slack_sdk's
signature check, the SQLite store (the approval decided with a conditional write, the decision
recorded on the run), the embedded engine's SendTaskSuccess, and the approval message updated
through slack_sdk against a local Slack Web API server (``tests/fakes/slack_api.py``). The
approvals are real: a small flow is run N times and each run waits on its approval.

Prints p50 / p99 / max in milliseconds for first clicks (applied) and repeated clicks (refused
as already decided), and how long a cold process takes to import the Slack route's module.

    .venv/bin/python bench/slack_ack.py [--requests 200]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.fakes.signing import sign_slack  # noqa: E402
from tests.fakes.slack_api import FakeSlackAPI  # noqa: E402

BUDGET_MS = 3000.0
SECRET = "bench-signing-secret"
TOKEN = "xoxb-bench-token"
APPROVER = "U0APPROVER1"
FLOW = """apiVersion: aof.dev/v1
kind: AgentFlow
metadata:
  name: ack-bench
spec:
  trigger:
    type: Webhook
    config:
      path: /pagerduty/webhook
  nodes:
    - id: parse-alert
      type: Transform
      config:
        script: export INCIDENT_TITLE="${event.incident.title}"
    - id: request-approval
      type: Slack
      config:
        channel: "#incidents"
        message: "⚠️ **Approval Required** for ${INCIDENT_TITLE}"
        wait_for_reaction: true
        timeout_seconds: 3600
    # Not last on purpose: an approval task that ends the execution deadlocks the embedded
    # engine today (store lock held while waking the scheduler; reported to the engine's owner).
    - id: act
      type: Transform
      config:
        script: export ACTED=true
  connections:
    - from: parse-alert
      to: request-approval
    - from: request-approval
      to: act
"""


def click(approval: Any, user: str) -> tuple[str, dict[str, str]]:
    payload = {
        "type": "block_actions",
        "user": {"id": user},
        "container": {"type": "message", "message_ts": approval.message_ts, "channel_id": approval.channel},
        "actions": [
            {
                "action_id": "approval.approve",
                "block_id": "approval-actions",
                "value": approval.approval_id,
                "type": "button",
                "action_ts": f"{time.time():.6f}",
            }
        ],
    }
    body = "payload=" + urllib.parse.quote(json.dumps(payload))
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        **sign_slack(body.encode(), SECRET, int(time.time())),
    }
    return body, headers


def percentiles(timings: list[float]) -> str:
    ordered = sorted(timings)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return f"p50 {statistics.median(ordered):.1f} ms   p99 {p99:.1f} ms   max {ordered[-1]:.1f} ms"


def cold_import_ms() -> float:
    code = "import time; t = time.perf_counter(); import chalicelib.webhooks.slack; print((time.perf_counter() - t) * 1000)"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    return float(out.stdout.strip())


def pending(local: Any, run_ids: list[str], timeout: float = 120.0) -> list[Any]:
    deadline = time.monotonic() + timeout
    found: dict[str, Any] = {}
    while len(found) < len(run_ids):
        for run_id in run_ids:
            if run_id not in found:
                waiting = local.store.approvals.find_pending_by_run(run_id)
                if waiting and waiting[0].message_ts:
                    found[run_id] = waiting[0]
        if time.monotonic() > deadline:
            raise TimeoutError(f"only {len(found)} of {len(run_ids)} approvals were requested")
        time.sleep(0.05)
    return [found[r] for r in run_ids]


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()

    import logging

    from chalice.test import Client

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # the fake Slack's request log

    import app as chalice_app
    from chalicelib.service.local import LocalApp
    from chalicelib.web import Backend, install

    state = Path(tempfile.mkdtemp(prefix="aof-bench-ack-"))
    (state / "flows").mkdir()
    (state / "flows" / "ack-bench.yaml").write_text(FLOW)
    with FakeSlackAPI(tokens=(TOKEN,)) as slack, open(os.devnull, "w") as quiet:
        env = {
            "SLACK_BOT_TOKEN": TOKEN,
            "SLACK_API_URL": slack.api_url,
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_APPROVERS": APPROVER,
            "AOF_WEBHOOK_FLOW": "ack-bench",
        }
        local = LocalApp([str(state / "flows")], env=env, state_dir=state, out=quiet, max_workers=8)
        install(Backend(env, local_app=local))
        try:
            event = {"incident": {"id": "BENCH", "title": "High memory usage on api-deployment"}}
            run_ids = [local.start_run("ack-bench", event, f"bench-{n:05d}") for n in range(args.requests)]
            approvals = pending(local, run_ids)
            first: list[float] = []
            repeat: list[float] = []
            with Client(chalice_app.app, stage_name="dev") as client:
                for approval in approvals:
                    for timings in (first, repeat):
                        body, headers = click(approval, APPROVER)
                        started = time.perf_counter()
                        answer = client.http.post("/slack/interactivity", headers=headers, body=body)
                        timings.append((time.perf_counter() - started) * 1000)
                        if answer.status_code != 200:
                            print(f"unexpected answer {answer.status_code}: {answer.body!r}", file=sys.stderr)
                            return 1
            for run_id in run_ids:
                local.wait(run_id, timeout=60)
            statuses = [local.store.approvals.get_approval(a.approval_id) for a in approvals]
            decided = len([r for r in statuses if r is not None and r.status == "approved"])
            updates = len(slack.calls_to("chat.update"))
        finally:
            install(None)
            local.close()

    worst = max(first + repeat)
    print(f"slack interactivity ack through app.py's route, {len(first)} signed clicks (budget {BUDGET_MS:.0f} ms)")
    print(f"  first click (decide, SendTaskSuccess, chat.update): {percentiles(first)}")
    print(f"  repeated click (already decided):                  {percentiles(repeat)}")
    print(
        f"  approvals decided: {decided}/{len(approvals)}; messages updated: {updates}; runs finished: {len(run_ids)}"
    )
    print(f"  cold import of chalicelib.webhooks.slack: {cold_import_ms():.1f} ms")
    print(f"  within budget: {'yes' if worst < BUDGET_MS else 'NO'}")
    return 0 if worst < BUDGET_MS and decided == len(approvals) == updates else 1


if __name__ == "__main__":
    raise SystemExit(main())
