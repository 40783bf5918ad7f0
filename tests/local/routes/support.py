"""Requests as PagerDuty and Slack send them, and waits on what the embedded engine records.

Shared by the route tests (``chalice.test.Client`` and ``aofctl serve`` over HTTP) and the
end-to-end tests. Signing uses ``tests.fakes.signing``, independent of the code under test.
"""

from __future__ import annotations

import json
import time
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from tests.fakes.signing import sign_slack

EVENTS = Path(__file__).resolve().parents[2] / "events"
ROOT = Path(__file__).resolve().parents[3]
T = TypeVar("T")

WEBHOOK_TOKEN = "routes-webhook-token"
WEBHOOK_SECRET = "routes-webhook-secret"
SIGNING_SECRET = "routes-signing-secret"
BOT_TOKEN = "xoxb-routes-token"
PAGERDUTY_KEY = "routes-pd-key"
APPROVER = "U0APPROVER1"
#: Every secret a test configures: none may appear in run history, the store or Slack.
SECRETS = (WEBHOOK_TOKEN, WEBHOOK_SECRET, SIGNING_SECRET, BOT_TOKEN, PAGERDUTY_KEY)


def sample(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((EVENTS / name).read_text())
    return loaded


def tutorial(incident: str, **changes: Any) -> dict[str, Any]:
    event = sample(f"tutorial-{incident.lower()}.json")
    event["event"]["incident"].update(changes)
    return event


def v3(kind: str = "triggered", *, event_id: str | None = None, incident_id: str | None = None) -> dict[str, Any]:
    event = sample(f"pagerduty-v3-incident-{kind}.json")
    if event_id:
        event["event"]["id"] = event_id
    if incident_id:
        event["event"]["data"]["id"] = incident_id
    return event


def bearer(token: str = WEBHOOK_TOKEN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}


def click_body(approval_id: str, channel: str, ts: str, user: str, action: str = "approval.approve") -> bytes:
    """A Block Kit button click as Slack posts it: form-encoded, the JSON in ``payload``."""
    payload = sample("slack-block-actions.json")
    payload["user"]["id"] = user
    payload["actions"][0]["action_id"] = action
    payload["actions"][0]["value"] = approval_id
    payload["container"].update(channel_id=channel, message_ts=ts)
    payload["channel"]["id"] = channel
    payload["message"]["ts"] = ts
    return ("payload=" + urllib.parse.quote(json.dumps(payload))).encode()


def reaction_body(channel: str, ts: str, user: str, reaction: str, event_id: str) -> bytes:
    payload = sample("slack-event-reaction-added.json")
    payload["event_id"] = event_id
    payload["event"].update(user=user, reaction=reaction)
    payload["event"]["item"].update(channel=channel, ts=ts)
    return json.dumps(payload).encode()


def slack_headers(body: bytes, content_type: str, *, secret: str = SIGNING_SECRET, age: int = 0) -> dict[str, str]:
    return {"Content-Type": content_type, **sign_slack(body, secret, int(time.time()) - age)}


def wait_for(what: str, probe: Callable[[], T | None], timeout: float = 30.0) -> T:
    deadline = time.monotonic() + timeout
    while True:
        found = probe()
        if found:
            return found
        if time.monotonic() > deadline:
            raise TimeoutError(f"gave up waiting for {what}")
        time.sleep(0.05)


def pending_approval(store: Any, run_id: str, timeout: float = 30.0) -> Any:
    """The run's approval once its Slack message is posted (buttons can be clicked)."""

    def probe() -> Any:
        pending = store.approvals.find_pending_by_run(run_id)
        return pending[0] if pending and pending[0].message_ts else None

    return wait_for(f"an approval request in {run_id}", probe, timeout)


def recorded_text(store: Any, engine: Any, run_id: str) -> str:
    """Everything the product recorded about a run (store events, engine history) as one text."""
    parts = [json.dumps([e.to_dict() for e in store.runs.events(run_id)])]
    run = store.runs.get_run(run_id)
    if run is not None:
        parts.append(json.dumps(run.to_dict()))
        if run.execution_arn:
            parts.append(json.dumps(engine.history(run.execution_arn), default=str))
    return "\n".join(parts)
