"""The tutorial's two incidents end to end: one Slack thread per incident, PagerDuty resolved
with a note, TEST002 approved by a signed button click, no secret recorded anywhere."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

from tests.local.flows.conftest import Tutorial
from tests.local.routes.support import (
    APPROVER,
    ROOT,
    SECRETS,
    bearer,
    click_body,
    pending_approval,
    recorded_text,
    slack_headers,
    tutorial,
)


def flow_event(name: str) -> dict[str, Any]:
    from chalicelib.webhooks.pagerduty_body import parse_body

    return parse_body((ROOT / "examples" / "events" / name).read_bytes()).to_flow_event()


def one_thread(t: Tutorial) -> tuple[str, list[Any]]:
    """The incident's thread: the first message is top level, every later one replies to it."""
    posts = t.slack.calls_to("chat.postMessage")
    assert posts, "nothing was posted to Slack"
    assert not posts[0].params.get("thread_ts")
    top = t.slack.channel_messages("C0INCIDENTS")
    assert len(top) == 1, [m.text[:60] for m in top]
    thread = top[0].ts
    assert all(p.params.get("thread_ts") == thread for p in posts[1:])
    return thread, posts


def assert_resolved_in_pagerduty(t: Tutorial, incident: str) -> None:
    assert t.pagerduty.incidents[incident].status == "resolved"
    put = t.pagerduty.calls_to("PUT", f"/incidents/{incident}")
    assert put and put[0].headers["From"] == "oncall@example.com"
    notes = t.pagerduty.incidents[incident].notes
    assert notes and "AOF auto-remediation summary" in notes[0]["content"]


def assert_no_secret_recorded(t: Tutorial, run_id: str) -> None:
    recorded = recorded_text(t.local.store, t.local.runtime, run_id)
    artifacts = b"".join(
        t.local.store.artifacts.get_artifact(r) for r in t.local.store.artifacts.list_artifacts(run_id)
    )
    slack_seen = json.dumps([c.params for c in t.slack.calls])
    for secret in SECRETS:
        assert secret not in recorded, "a secret reached the run history"
        assert secret.encode() not in artifacts and secret not in slack_seen


def test_test001_runs_the_tutorial_with_one_slack_thread_and_resolves_pagerduty(tutorial_app) -> None:
    t = tutorial_app("TEST001")
    run_id = t.local.start_run("incident-auto-response", flow_event("test001.json"), "e2e-test001")
    assert t.outcome(run_id) == "resolved"

    _thread, posts = one_thread(t)
    assert len(posts) == 2, [p.params["text"][:50] for p in posts]
    assert "Incident Detected" in posts[0].params["text"] and "Incident Auto-Resolved" in posts[1].params["text"]
    assert posts[0].params["channel"] == "#incidents"
    assert all(p.params["channel"] == "C0INCIDENTS" for p in posts[1:]), "replies go to the thread's channel"
    assert_resolved_in_pagerduty(t, "TEST001")

    restarts = [a for a in t.cluster.actions if not a.get("dry_run")]
    assert restarts, "the remediation changed the cluster"
    assert t.cluster.resolved()
    refs = t.local.store.artifacts.list_artifacts(run_id)
    logged = [json.loads(t.local.store.artifacts.get_artifact(r)) for r in refs if "incident-TEST001" in r]
    assert logged and logged[0]["incident_id"] == "TEST001" and logged[0]["auto_resolved"] is True
    assert_no_secret_recorded(t, run_id)


def test_test002_waits_for_a_signed_button_click_then_fixes_and_resolves(tutorial_app) -> None:
    t = tutorial_app("TEST002")
    answer = t.client.http.post("/pagerduty/webhook", headers=bearer(), body=json.dumps(tutorial("TEST002")))
    assert answer.status_code == 202, answer.body
    run_id = json.loads(answer.body)["run_id"]
    approval = pending_approval(t.local.store, run_id, timeout=60)
    assert not [a for a in t.cluster.actions if not a.get("dry_run")], "nothing changes before the approval"

    body = click_body(approval.approval_id, approval.channel, approval.message_ts, APPROVER)
    clicked = t.client.http.post(
        "/slack/interactivity", headers=slack_headers(body, "application/x-www-form-urlencoded"), body=body
    )
    assert clicked.status_code == 200 and json.loads(clicked.body)["applied"] is True
    assert t.outcome(run_id) == "resolved"

    thread, _posts = one_thread(t)
    assert approval.message_ts in {m.ts for m in t.slack.replies(approval.channel, thread)}, (
        "the approval asks in the thread"
    )
    updates = t.slack.calls_to("chat.update")
    assert [u.params["ts"] for u in updates] == [approval.message_ts]
    assert f"Approved by <@{APPROVER}>" in json.dumps(updates[0].params["blocks"])
    decided = t.local.store.approvals.get_approval(approval.approval_id)
    assert (decided.status, decided.decided_by) == ("approved", APPROVER)
    assert any(a for a in t.cluster.actions if not a.get("dry_run"))
    assert_resolved_in_pagerduty(t, "TEST002")
    assert_no_secret_recorded(t, run_id)


def test_a_hostile_title_travels_the_whole_tutorial_as_text(tutorial_app) -> None:
    t = tutorial_app("TEST001")
    marker = Path(f"/tmp/aof-e2e-{uuid.uuid4().hex}")
    title = f'$(touch {marker}) `touch {marker}`; "quoted" \\ ' + "🔥" * 2600
    body = json.dumps(tutorial("TEST001", title=title))
    answer = t.client.http.post("/pagerduty/webhook", headers=bearer(), body=body)
    assert answer.status_code == 202, answer.body
    run_id = json.loads(answer.body)["run_id"]
    assert t.outcome(run_id) == "resolved"
    assert not marker.exists(), "nothing in the title was executed, by any node or tool"
    assert title in t.slack.calls_to("chat.postMessage")[0].params["text"]
    refs = t.local.store.artifacts.list_artifacts(run_id)
    logged = [json.loads(t.local.store.artifacts.get_artifact(r)) for r in refs if "incident-TEST001" in r]
    assert logged[0]["title"] == title
    assert t.pagerduty.incidents["TEST001"].status == "resolved"


def test_test002_approved_from_a_terminal_updates_the_slack_request_like_a_click(tutorial_app) -> None:
    t = tutorial_app("TEST002")
    answer = t.client.http.post("/pagerduty/webhook", headers=bearer(), body=json.dumps(tutorial("TEST002")))
    run_id = json.loads(answer.body)["run_id"]
    approval = pending_approval(t.local.store, run_id, timeout=60)

    approved = subprocess.run(
        [sys.executable, "-m", "chalicelib.cli.main", "approve", run_id, "--decision", "approve", "--by", APPROVER],
        cwd=ROOT,
        env={**t.env, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert approved.returncode == 0, approved.stderr
    updates = t.slack.calls_to("chat.update")
    assert [u.params["ts"] for u in updates] == [approval.message_ts]
    assert f"Approved by <@{APPROVER}>" in json.dumps(updates[0].params["blocks"])
    assert "actions" not in {b.get("type") for b in updates[0].params["blocks"]}, "the buttons are gone"
    assert t.outcome(run_id) == "resolved"
