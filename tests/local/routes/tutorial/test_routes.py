"""Issue-level behaviour of the app's routes: PagerDuty in, Slack out, approvals, nothing twice."""

from __future__ import annotations

import json
import time
import urllib.parse
import uuid
from pathlib import Path
from typing import Any

from tests.fakes.signing import sign_pagerduty, sign_slack
from tests.local.routes.tutorial.conftest import APPROVER, SIGNING, TOKEN

EVENTS = Path(__file__).resolve().parents[3] / "events"


def post(client: Any, body: bytes | str, headers: dict[str, str] | None = None) -> Any:
    sent = {"Content-Type": "application/json", **(headers or {})}
    return client.http.post("/pagerduty/webhook", headers=sent, body=body)


def bearer() -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKEN}"}


def tutorial(incident: str, **changes: Any) -> dict[str, Any]:
    event = json.loads((EVENTS / f"tutorial-{incident.lower()}.json").read_text())
    event["event"]["incident"].update(changes)
    return event


def click(client: Any, approval: Any, user: str, action: str = "approval.approve") -> Any:
    payload = json.loads((EVENTS / "slack-block-actions.json").read_text())
    payload["user"]["id"] = user
    payload["actions"][0]["action_id"] = action
    payload["actions"][0]["value"] = approval.approval_id
    payload["container"].update(channel_id=approval.channel, message_ts=approval.message_ts)
    body = "payload=" + urllib.parse.quote(json.dumps(payload))
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        **sign_slack(body.encode(), SIGNING, int(time.time())),
    }
    return client.http.post("/slack/interactivity", headers=headers, body=body)


def test_test001_resolves_with_one_thread_in_slack_and_the_incident_resolved_in_pagerduty(test001):
    answer = post(test001.client, json.dumps(tutorial("TEST001")), bearer())
    assert answer.status_code == 202, answer.body
    run_id = json.loads(answer.body)["run_id"]
    assert test001.wait_outcome(run_id) == "resolved"

    slack = test001.far["slack"]
    posts = slack.calls_to("chat.postMessage")
    assert len(posts) == 2  # the diagnosis, then the success in its thread
    first = posts[0].params
    assert "thread_ts" not in first or not first["thread_ts"]
    thread = slack.channel_messages("C0INCIDENTS")[0].ts
    assert all(p.params.get("thread_ts") == thread for p in posts[1:]), "later messages stay in the incident's thread"
    assert any(b.get("type") == "section" for b in slack.channel_messages("C0INCIDENTS")[0].blocks)

    pd = test001.far["pagerduty"]
    puts = [c for c in pd.calls if c.method == "PUT" and c.path.endswith("/incidents/TEST001")]
    assert puts and puts[0].headers.get("From") == "oncall@example.com"
    assert pd.incidents["TEST001"].status == "resolved"
    assert any(c.method == "POST" and c.path.endswith("/incidents/TEST001/notes") for c in pd.calls)


def test_a_repeated_delivery_returns_the_same_run_and_starts_nothing(test001):
    body = json.dumps(tutorial("TEST001"))
    first = post(test001.client, body, bearer())
    second = post(test001.client, body, bearer())
    assert first.status_code == 202
    assert second.status_code == 200  # the first delivery was done: the repeat is a pure duplicate
    assert json.loads(second.body)["run_id"] == json.loads(first.body)["run_id"]
    assert json.loads(second.body).get("duplicate") is True
    test001.wait_outcome(json.loads(first.body)["run_id"])
    assert len(test001.local.store.runs.list_runs()) == 1


def test_bad_input_is_answered_clearly_and_starts_nothing(test001):
    client = test001.client
    assert post(client, json.dumps(tutorial("TEST001"))).status_code == 401
    assert post(client, json.dumps(tutorial("TEST001")), {"Authorization": "Bearer wrong"}).status_code == 401
    malformed = post(client, b"{not json", bearer())
    assert malformed.status_code == 400
    assert "json" in malformed.body.decode().lower()
    missing = post(client, json.dumps({"event": {"incident": {"title": "no id"}}}), bearer())
    assert missing.status_code == 400
    big = post(client, b'{"event": {"incident": {"id": "X", "title": "' + b"a" * 1_100_000 + b'"}}}', bearer())
    assert big.status_code == 413
    assert test001.local.store.runs.list_runs() == []


def test_signed_v3_event_is_accepted_and_rotation_keeps_old_secret_working(test001, monkeypatch):
    from chalicelib.web import backend

    backend().env["PAGERDUTY_WEBHOOK_SECRET"] = "old-secret,new-secret"
    body = (EVENTS / "pagerduty-v3-incident-triggered.json").read_bytes()
    signature = sign_pagerduty(body, "new-secret") + "," + sign_pagerduty(body, "other")
    answer = post(test001.client, body, {"X-PagerDuty-Signature": signature})
    assert answer.status_code == 202, answer.body
    forged = post(test001.client, body.replace(b"High", b"Low"), {"X-PagerDuty-Signature": signature})
    assert forged.status_code == 401


def test_hostile_titles_stay_text(test001):
    marker = Path(f"/tmp/aof-pwned-{uuid.uuid4().hex}")
    title = f"$(touch {marker}) `touch {marker}` " + "🔥" * 2500
    answer = post(test001.client, json.dumps(tutorial("TEST001", title=title)), bearer())
    assert answer.status_code == 202
    test001.wait_outcome(json.loads(answer.body)["run_id"])
    assert not marker.exists()
    texts = [p.params.get("text", "") for p in test001.far["slack"].calls_to("chat.postMessage")]
    assert any(f"$(touch {marker})" in t for t in texts), "the title reaches Slack as plain text"


def test_test002_approval_buttons_refuse_others_apply_once_and_update_the_message(test002):
    answer = post(test002.client, json.dumps(tutorial("TEST002")), bearer())
    run_id = json.loads(answer.body)["run_id"]
    approval = test002.wait_pending(run_id)
    message = test002.far["slack"].channel_messages("C0INCIDENTS")
    blocks = [m for m in test002.far["slack"].calls_to("chat.postMessage") if "approval" in json.dumps(m.params)]
    assert blocks, "the approval message carries the Approve / Pause / Skip buttons"
    assert message

    refused = click(test002.client, approval, "U0STRANGER")
    assert refused.status_code == 200
    assert "not an allowed approver" in refused.body.decode()
    assert test002.local.store.approvals.get_approval(approval.approval_id).status == "pending"

    applied = click(test002.client, approval, APPROVER)
    assert applied.status_code == 200
    again = click(test002.client, approval, APPROVER)
    assert "already approved" in again.body.decode()

    assert test002.wait_outcome(run_id) == "resolved"
    decided = test002.local.store.approvals.get_approval(approval.approval_id)
    assert decided.status == "approved" and decided.decided_by == APPROVER
    updates = test002.far["slack"].calls_to("chat.update")
    assert any(APPROVER in json.dumps(u.params) for u in updates), "the message shows who approved"
    assert test002.far["slack"].calls_to("chat.update")[-1].params.get("ts") == approval.message_ts


def test_stale_slack_signature_is_refused(test002):
    body = "payload=" + urllib.parse.quote(json.dumps({"type": "block_actions"}))
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        **sign_slack(body.encode(), SIGNING, int(time.time()) - 600),
    }
    assert test002.client.http.post("/slack/interactivity", headers=headers, body=body).status_code == 401


def test_a_human_acknowledging_stops_the_waiting_run(test002):
    answer = post(test002.client, json.dumps(tutorial("TEST002")), bearer())
    run_id = json.loads(answer.body)["run_id"]
    approval = test002.wait_pending(run_id)
    ack = json.loads((EVENTS / "pagerduty-v3-incident-acknowledged.json").read_text())
    ack["event"]["data"]["id"] = "TEST002"
    stopped = post(test002.client, json.dumps(ack), bearer())
    assert stopped.status_code == 202
    assert run_id in json.loads(stopped.body)["stopped_runs"]
    assert test002.local.store.approvals.get_approval(approval.approval_id).status == "cancelled"
    late = click(test002.client, approval, APPROVER)
    assert "cancelled" in late.body.decode()
    assert not [a for a in test002.cluster.actions if not a.get("dry_run")], "no change reached the cluster"
