"""How fast does ``POST /slack/interactivity`` answer? Slack gives us 3,000 ms.

Runs the real handler (signature verification with slack_sdk, form + JSON parsing, the
decision) over signed button clicks, with an in-memory approvals store and a fake runtime
standing in for DynamoDB and SendTaskSuccess, and prints p50 / p99 / max in milliseconds.
Also prints how long a cold process takes to import the Slack route's module.

    .venv/bin/python bench/slack_ack.py [--requests 1000]
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import statistics
import subprocess
import sys
import time
import urllib.parse
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from chalicelib.errors import AlreadyExists
from chalicelib.webhooks.http import WebhookRequest
from chalicelib.webhooks.ports import Decision, MessageRef, ResolutionResult
from chalicelib.webhooks.slack import SlackWebhookDeps, handle_slack_interactivity

BUDGET_MS = 3000.0
SECRET = "bench-signing-secret"


class FakeRuntime:
    """Stands in for Step Functions: records SendTaskSuccess calls."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    def send_task_success(self, token: str, output: str) -> None:
        self.sent.append((token, output))


class MemoryApprovals:
    """One conditional store update + one SendTaskSuccess per decision, like the real resolver."""

    def __init__(self, runtime: FakeRuntime) -> None:
        self.pending: dict[str, dict[str, str]] = {}
        self.runtime = runtime

    def resolve(self, target: str | MessageRef, decision: Decision, user_id: str, at: datetime) -> ResolutionResult:
        approval = self.pending.pop(str(target), None)
        if approval is None:
            return ResolutionResult(applied=False, message="Already decided.")
        self.runtime.send_task_success(approval["token"], json.dumps({"decision": decision, "by": user_id}))
        return ResolutionResult(applied=True, message=f"Recorded: {decision}.")


class MemoryDeliveries:
    def __init__(self) -> None:
        self.records: dict[str, dict[str, object]] = {}

    def record(self, delivery_id: str, record: dict[str, object]) -> None:
        if delivery_id in self.records:
            raise AlreadyExists("repeat", existing=dict(self.records[delivery_id]))
        self.records[delivery_id] = dict(record)

    def update(self, delivery_id: str, **fields: object) -> None:
        self.records[delivery_id].update(fields)


def signed_click(approval_id: str, now: int) -> WebhookRequest:
    payload = {
        "type": "block_actions",
        "user": {"id": "U0APPROVER1"},
        "container": {"type": "message", "message_ts": "1763630100.000200", "channel_id": "C0INCIDENTS"},
        "actions": [
            {
                "action_id": "approval.approve",
                "block_id": "approval-actions",
                "value": approval_id,
                "type": "button",
                "action_ts": f"{now}.123456",
            }
        ],
    }
    body = urllib.parse.urlencode({"payload": json.dumps(payload)}).encode()
    base = f"v0:{now}:".encode() + body
    signature = "v0=" + hmac.new(SECRET.encode(), base, hashlib.sha256).hexdigest()
    headers = {
        "X-Slack-Request-Timestamp": str(now),
        "X-Slack-Signature": signature,
        "Content-Type": "application/x-www-form-urlencoded",
    }
    return WebhookRequest(headers, body)


def cold_import_ms() -> float:
    code = (
        "import time; t = time.perf_counter(); import chalicelib.webhooks.slack; "
        "print((time.perf_counter() - t) * 1000)"
    )
    root = Path(__file__).resolve().parent.parent
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True)
    return float(out.stdout.strip())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000)
    args = parser.parse_args()

    runtime = FakeRuntime()
    approvals = MemoryApprovals(runtime)
    deps = SlackWebhookDeps(signing_secret=SECRET, resolver=approvals, deliveries=MemoryDeliveries())
    now = int(time.time())
    requests = []
    for index in range(args.requests):
        approval_id = f"apr-{index:06d}"
        approvals.pending[approval_id] = {"token": f"task-token-{index}"}
        requests.append(signed_click(approval_id, now))

    timings: list[float] = []
    for request in requests:
        started = time.perf_counter()
        response = handle_slack_interactivity(request, deps)
        timings.append((time.perf_counter() - started) * 1000)
        if response.status != 200 or response.body.get("applied") is not True:
            print(f"unexpected answer: {response}", file=sys.stderr)
            return 1

    first = timings[0]  # includes the lazy import of slack_sdk.signature
    timings.sort()
    p50 = statistics.median(timings)
    p99 = timings[min(len(timings) - 1, int(len(timings) * 0.99))]
    print(f"slack interactivity ack over {len(timings)} signed clicks (budget {BUDGET_MS:.0f} ms)")
    print(f"  p50 {p50:.3f} ms   p99 {p99:.3f} ms   max {timings[-1]:.3f} ms")
    print(f"  first request (imports slack_sdk.signature lazily): {first:.1f} ms")
    print(f"  SendTaskSuccess calls: {len(runtime.sent)} (one per click)")
    print(f"  cold import of chalicelib.webhooks.slack: {cold_import_ms():.1f} ms")
    print(f"  within budget: {'yes' if timings[-1] < BUDGET_MS else 'NO'}")
    return 0 if timings[-1] < BUDGET_MS else 1


if __name__ == "__main__":
    raise SystemExit(main())
