"""``/slack/interactivity`` (buttons) and ``/slack/events`` (reactions) through
``chalice.test.Client``; Slack's Web API is a local server that slack_sdk talks to."""

from __future__ import annotations

import json
from typing import Any

from tests.local.routes.conftest import TIMEOUT_FLOW, Routes
from tests.local.routes.support import (
    APPROVER,
    bearer,
    click_body,
    reaction_body,
    slack_headers,
    tutorial,
    wait_for,
)

FORM = "application/x-www-form-urlencoded"


def start(routes: Routes, incident: str = "TEST002") -> tuple[str, Any]:
    answer = routes.post(json.dumps(tutorial(incident)), bearer())
    assert answer.status_code == 202, answer.body
    run_id = json.loads(answer.body)["run_id"]
    return run_id, routes.approval(run_id)


def click(routes: Routes, approval: Any, user: str, action: str = "approval.approve", age: int = 0) -> Any:
    body = click_body(approval.approval_id, approval.channel, approval.message_ts, user, action)
    return routes.slack_post("/slack/interactivity", body, slack_headers(body, FORM, age=age))


def react(routes: Routes, approval: Any, user: str, reaction: str, event_id: str) -> Any:
    body = reaction_body(approval.channel, approval.message_ts, user, reaction, event_id)
    return routes.slack_post("/slack/events", body, slack_headers(body, "application/json"))


def decisions(routes: Routes, run_id: str) -> list[Any]:
    return [e for e in routes.local.store.runs.events(run_id) if e.type == "ApprovalDecided"]


def acted(routes: Routes, run_id: str) -> bool:
    output = routes.local.runtime.describe(routes.local.store.runs.get_run(run_id).execution_arn).output
    return bool((output or {}).get("vars", {}).get("ACTED"))


def test_the_approval_message_is_block_kit_with_three_buttons_in_the_incident_channel(routes: Routes) -> None:
    _, approval = start(routes)
    message = routes.slack.messages[(approval.channel, approval.message_ts)]
    assert approval.channel == "C0INCIDENTS" and message.thread_ts is None
    actions = [b for b in message.blocks if b["type"] == "actions"]
    assert [e["action_id"] for e in actions[0]["elements"]] == ["approval.approve", "approval.pause", "approval.skip"]
    assert {e["value"] for e in actions[0]["elements"]} == {approval.approval_id}
    sections = " ".join(b["text"]["text"] for b in message.blocks if b["type"] == "section")
    assert "*Approval Required*" in sections, "markdown bold is Slack's *bold*"
    assert approval.approvers == [APPROVER]


def test_a_button_click_by_an_approver_resumes_the_run_and_updates_the_message(routes: Routes) -> None:
    run_id, approval = start(routes)
    answer = click(routes, approval, APPROVER)
    assert answer.status_code == 200
    assert json.loads(answer.body)["applied"] is True
    routes.finished(run_id)
    assert acted(routes, run_id)
    updates = routes.slack.calls_to("chat.update")
    assert [u.params["ts"] for u in updates] == [approval.message_ts]
    message = routes.slack.messages[(approval.channel, approval.message_ts)]
    assert not [b for b in message.blocks if b["type"] == "actions"], "the buttons are gone"
    footer = message.blocks[-1]["elements"][0]["text"]
    assert footer.startswith(f"✅ Approved by <@{APPROVER}> at <!date^")
    assert "TEST002" in message.text
    decided = routes.local.store.approvals.get_approval(approval.approval_id)
    assert (decided.status, decided.decided_by) == ("approved", APPROVER) and decided.decided_at


def test_a_reaction_by_an_approver_resolves_the_approval_once(routes: Routes) -> None:
    run_id, approval = start(routes)
    first = react(routes, approval, APPROVER, "white_check_mark", "Ev1")
    assert json.loads(first.body)["applied"] is True
    retry = react(routes, approval, APPROVER, "white_check_mark", "Ev1")  # Slack's retry of the same event
    assert json.loads(retry.body)["duplicate"] is True
    other = react(routes, approval, "U0APPROVER2", "x", "Ev2")  # a later reaction changes nothing
    assert json.loads(other.body)["applied"] is False
    routes.finished(run_id)
    assert acted(routes, run_id)
    assert len(decisions(routes, run_id)) == 1


def test_skip_and_pause_leave_the_fix_undone(routes: Routes) -> None:
    for action in ("approval.skip", "approval.pause"):
        run_id, approval = start(routes, "TEST001" if action.endswith("skip") else "TEST002")
        assert json.loads(click(routes, approval, APPROVER, action).body)["applied"] is True
        routes.finished(run_id)
        assert not acted(routes, run_id)
    footers = [u.params["blocks"] for u in routes.slack.calls_to("chat.update")]
    assert "Skipped" in json.dumps(footers[0]) and "Paused" in json.dumps(footers[1])


def test_someone_not_an_approver_is_refused_by_button_and_by_reaction(routes: Routes) -> None:
    run_id, approval = start(routes)
    refused = click(routes, approval, "U0STRANGER")
    assert refused.status_code == 200
    assert json.loads(refused.body)["applied"] is False
    assert "not an allowed approver" in json.loads(refused.body)["text"]
    assert json.loads(react(routes, approval, "U0STRANGER", "white_check_mark", "Ev9").body)["applied"] is False
    assert json.loads(react(routes, approval, "U0AOFBOT", "white_check_mark", "Ev10").body)["ignored"] is True
    assert routes.local.store.approvals.get_approval(approval.approval_id).status == "pending"
    assert routes.slack.calls_to("chat.update") == [] and decisions(routes, run_id) == []


def test_a_double_click_is_applied_once(routes: Routes) -> None:
    run_id, approval = start(routes)
    answers = [json.loads(click(routes, approval, APPROVER).body) for _ in range(3)]
    assert [a["applied"] for a in answers] == [True, False, False]
    assert "already approved by U0APPROVER1" in answers[1]["text"]
    routes.finished(run_id)
    assert len(decisions(routes, run_id)) == 1
    assert len(routes.slack.calls_to("chat.update")) == 1


def test_stale_forged_or_unsigned_slack_requests_are_refused(routes: Routes) -> None:
    _run_id, approval = start(routes)
    assert click(routes, approval, APPROVER, age=6 * 60).status_code == 401
    body = click_body(approval.approval_id, approval.channel, approval.message_ts, APPROVER)
    forged = slack_headers(body, FORM, secret="not-the-signing-secret")
    assert routes.slack_post("/slack/interactivity", body, forged).status_code == 401
    assert routes.slack_post("/slack/interactivity", body, {"Content-Type": FORM}).status_code == 401
    reaction = reaction_body(approval.channel, approval.message_ts, APPROVER, "white_check_mark", "Ev3")
    stale = slack_headers(reaction, "application/json", age=6 * 60)
    assert routes.slack_post("/slack/events", reaction, stale).status_code == 401
    assert routes.local.store.approvals.get_approval(approval.approval_id).status == "pending"


def test_url_verification_is_answered_with_its_challenge(routes: Routes) -> None:
    body = json.dumps(
        {"token": "x", "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P", "type": "url_verification"}
    ).encode()
    answer = routes.slack_post("/slack/events", body, slack_headers(body, "application/json"))
    assert answer.status_code == 200
    assert json.loads(answer.body) == {"challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}


def test_malformed_slack_bodies_are_bad_requests(routes: Routes) -> None:
    for path, body, kind in (
        ("/slack/interactivity", b"payload=%7Bnot-json", FORM),
        ("/slack/interactivity", b"nothing=here", FORM),
        ("/slack/events", b"[1, 2]", "application/json"),
    ):
        assert routes.slack_post(path, body, slack_headers(body, kind)).status_code == 400


def test_an_approval_nobody_decides_times_out_updates_the_message_and_pages_a_human(routes: Routes) -> None:
    from chalicelib.webhooks.pagerduty_body import parse_body

    routes.pagerduty.add_incident("TEST002", title="Database cluster down - all replicas failing")
    event = parse_body(json.dumps(tutorial("TEST002")).encode()).to_flow_event()
    run_id = routes.local.start_run(TIMEOUT_FLOW, event, "timeout-run")
    routes.finished(run_id)
    # The approval times out after 1 s: on a loaded machine that can be before a poll for the
    # pending request sees it, so find it afterwards, through the message that asked.
    store = routes.local.store
    asked = [store.approvals.find_by_message(channel, ts) for channel, ts in list(routes.slack.messages)]
    approvals = [a for a in asked if a is not None and a.run_id == run_id]
    assert len(approvals) == 1, "the approval was asked once"
    approval = approvals[0]
    assert not acted(routes, run_id)
    assert routes.local.store.approvals.get_approval(approval.approval_id).status != "pending"
    update = wait_for("the message update", lambda: routes.slack.calls_to("chat.update"))
    assert update[0].params["ts"] == approval.message_ts
    assert "No decision in time" in json.dumps(update[0].params["blocks"])
    late = click(routes, approval, APPROVER)
    assert json.loads(late.body)["applied"] is False, "a late click changes nothing"
    assert "no decision in time" in json.loads(late.body)["text"]
    notes = routes.pagerduty.incidents["TEST002"].notes
    assert notes and "Paging a human" in notes[0]["content"]
    assert routes.pagerduty.calls_to("POST", "/incidents/TEST002/notes")[0].headers["From"] == "oncall@example.com"
    thread = routes.slack.replies(approval.channel, approval.message_ts)
    assert any("NOT approved" in m.text for m in thread), "the escalation lands in the incident's thread"
