"""Slack interactivity (buttons) and Events API (reactions) through the handlers."""

from __future__ import annotations

import json
import urllib.parse
from pathlib import Path
from typing import Any

import pytest

from chalicelib.integrations.slack import SlackClient
from chalicelib.integrations.slack_blocks import approval_blocks
from chalicelib.nodes.approvals import show_decision
from chalicelib.nodes.notify import make_notifier
from chalicelib.service.ports import StoreApprovalResolver
from chalicelib.store import ApprovalRecord, open_store
from chalicelib.webhooks.http import WebhookRequest
from chalicelib.webhooks.ports import MessageRef
from chalicelib.webhooks.slack import SlackWebhookDeps, handle_slack_events, handle_slack_interactivity
from tests.fakes.signing import sign_slack
from tests.fakes.slack_api import BOT_USER_ID, FakeSlackAPI
from tests.unit.webhooks.events import load_event
from tests.unit.webhooks.memory_ports import Approval, MemoryApprovals, MemoryDeliveryLog

SECRET = "slack-signing-secret"
NOW = 1_763_630_162
APPROVAL_ID = "apr-TEST002-request-approval"
CHANNEL, TS = "C0INCIDENTS", "1763630100.000200"


class SlackWorld:
    def __init__(self, approvals: MemoryApprovals | None = None, secret: str | None = SECRET) -> None:
        self.approvals = approvals or MemoryApprovals()
        if APPROVAL_ID not in self.approvals.approvals:
            self.approvals.add(
                Approval(
                    APPROVAL_ID,
                    requester="U0REQUESTER",
                    approvers={"U0APPROVER1", "U0APPROVER2", "U0REQUESTER"},
                    channel=CHANNEL,
                    ts=TS,
                    text="⚠️ **CRITICAL: Human Approval Required**",
                )
            )
        self.deliveries = MemoryDeliveryLog()
        self.deps = SlackWebhookDeps(
            signing_secret=secret,
            resolver=self.approvals,
            deliveries=self.deliveries,
            bot_user_id=BOT_USER_ID,
            clock=lambda: float(NOW),
        )

    def click(
        self,
        action_id: str = "approval.approve",
        user: str = "U0APPROVER1",
        *,
        ts: int = NOW,
        secret: str = SECRET,
        tamper: bool = False,
    ) -> tuple[int, dict[str, Any]]:
        payload = load_event("slack-block-actions.json")
        payload["actions"][0]["action_id"] = action_id
        payload["actions"][0]["value"] = APPROVAL_ID
        payload["user"]["id"] = user
        body = urllib.parse.urlencode({"payload": json.dumps(payload)}).encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded", **sign_slack(body, secret, ts)}
        if tamper:
            body = body.replace(b"U0APPROVER", b"U0ATTACKER")
        response = handle_slack_interactivity(WebhookRequest(headers, body), self.deps)
        return response.status, response.body

    def event(
        self, payload: dict[str, Any], *, ts: int = NOW, retry: int | None = None, secret: str = SECRET
    ) -> tuple[int, dict[str, Any]]:
        body = json.dumps(payload).encode()
        headers = {"Content-Type": "application/json", **sign_slack(body, secret, ts)}
        if retry is not None:
            headers |= {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
        response = handle_slack_events(WebhookRequest(headers, body), self.deps)
        return response.status, response.body


def reaction(name: str, user: str = "U0APPROVER1", event_id: str = "Ev0AOF0000001") -> dict[str, Any]:
    payload = load_event("slack-event-reaction-added.json")
    payload["event"]["reaction"] = name
    payload["event"]["user"] = user
    payload["event_id"] = event_id
    return payload


# --- signatures ----------------------------------------------------------------------------


def test_a_signed_click_resolves_the_approval_and_answers_ephemerally() -> None:
    world = SlackWorld()

    status, body = world.click()

    assert status == 200
    assert body["response_type"] == "ephemeral" and body["applied"] is True
    assert world.approvals.approvals[APPROVAL_ID].status == "approve"
    assert world.approvals.approvals[APPROVAL_ID].decided_by == "U0APPROVER1"
    assert world.approvals.sent_task_success == [(APPROVAL_ID, "approve")]


@pytest.mark.parametrize(
    ("kwargs", "why"),
    [
        ({"ts": NOW - 301}, "stale"),
        ({"ts": NOW + 301}, "from the future"),
        ({"tamper": True}, "tampered"),
        ({"secret": "another-apps-secret"}, "wrong secret"),
    ],
)
def test_bad_signatures_are_refused_and_decide_nothing(kwargs: dict[str, Any], why: str) -> None:
    world = SlackWorld()

    status, _ = world.click(**kwargs)

    assert status == 401, why
    assert world.approvals.calls == []


def test_a_request_four_minutes_old_is_still_fresh() -> None:
    assert SlackWorld().click(ts=NOW - 240)[0] == 200


def test_missing_headers_or_secret_refuse() -> None:
    world = SlackWorld()
    body = b"payload=%7B%7D"
    assert handle_slack_interactivity(WebhookRequest({}, body), world.deps).status == 401
    unconfigured = SlackWorld(secret=None)
    status, body_json = unconfigured.click()
    assert status == 401 and "SLACK_SIGNING_SECRET" in body_json["message"]


# --- interactivity -----------------------------------------------------------------------


@pytest.mark.parametrize(("action", "decision"), [("approval.pause", "pause"), ("approval.skip", "skip")])
def test_pause_and_skip_buttons(action: str, decision: str) -> None:
    world = SlackWorld()
    assert world.click(action)[0] == 200
    assert world.approvals.approvals[APPROVAL_ID].status == decision


def test_second_click_and_self_approval_are_refused_with_a_message() -> None:
    world = SlackWorld()

    own = world.click(user="U0REQUESTER")[1]
    assert own["applied"] is False and "own request" in own["text"]
    outsider = world.click(user="U0STRANGER")[1]
    assert outsider["applied"] is False and "not an approver" in outsider["text"]
    assert world.click()[1]["applied"] is True
    again = world.click(action_id="approval.skip", user="U0APPROVER2")[1]
    assert again["applied"] is False and "Already approve" in again["text"]
    assert world.approvals.sent_task_success == [(APPROVAL_ID, "approve")]


def test_unrelated_actions_and_bad_payloads() -> None:
    world = SlackWorld()
    assert world.click(action_id="something.else")[1]["ignored"] is True
    body = b"not_payload=1"
    response = handle_slack_interactivity(WebhookRequest(sign_slack(body, SECRET, NOW), body), world.deps)
    assert response.status == 400
    body = b"payload=%7Bbroken"
    response = handle_slack_interactivity(WebhookRequest(sign_slack(body, SECRET, NOW), body), world.deps)
    assert response.status == 400
    assert world.approvals.calls == []


# --- events API ------------------------------------------------------------------------------


def test_url_verification_returns_the_challenge() -> None:
    world = SlackWorld()
    payload = load_event("slack-url-verification.json")

    assert world.event(payload) == (200, {"challenge": payload["challenge"]})
    assert world.event(payload, secret="wrong")[0] == 401


@pytest.mark.parametrize(
    ("name", "decision"),
    [
        ("white_check_mark", "approve"),
        ("heavy_check_mark", "approve"),
        ("double_vertical_bar", "pause"),
        ("pause_button", "pause"),
        ("x", "skip"),
        ("negative_squared_cross_mark", "skip"),
    ],
)
def test_reactions_map_to_decisions_on_the_reacted_message(name: str, decision: str) -> None:
    world = SlackWorld()

    status, body = world.event(reaction(name))

    assert status == 200 and body["applied"] is True
    assert world.approvals.calls == [(MessageRef(CHANNEL, TS), decision, "U0APPROVER1")]
    assert world.approvals.approvals[APPROVAL_ID].status == decision


@pytest.mark.parametrize("name", ["thumbsup", "eyes", "check", "heavy_multiplication_x"])
def test_other_reactions_are_ignored(name: str) -> None:
    world = SlackWorld()
    assert world.event(reaction(name)) == (200, {"ok": True, "ignored": True})
    assert world.approvals.calls == []


def test_the_bots_own_reactions_are_not_votes() -> None:
    world = SlackWorld()

    assert world.event(reaction("white_check_mark", user=BOT_USER_ID))[1]["ignored"] is True
    assert world.approvals.calls == []
    assert world.approvals.approvals[APPROVAL_ID].status == "pending"


def test_slack_retries_are_idempotent_on_event_id() -> None:
    world = SlackWorld()

    first = world.event(reaction("white_check_mark"))
    retry = world.event(reaction("white_check_mark"), retry=1)
    again = world.event(reaction("white_check_mark"), retry=2)

    assert first[1]["applied"] is True
    assert retry[1]["duplicate"] is True and again[1]["duplicate"] is True
    assert len(world.approvals.calls) == 1
    assert world.deliveries.records["slack:Ev0AOF0000001"]["status"] == "done"


def test_stale_event_is_refused() -> None:
    world = SlackWorld()
    assert world.event(reaction("white_check_mark"), ts=NOW - 600)[0] == 401
    assert world.approvals.calls == []


# --- the whole loop against the fake Slack API -------------------------------------------------


def test_button_click_updates_the_approval_message_in_slack(fake_slack: FakeSlackAPI, tmp_path: Path) -> None:
    """The click goes through the resolver the app wires (store, decision, message update), so
    what Slack ends up showing is what our code wrote, not what a test double wrote."""
    env = {"SLACK_BOT_TOKEN": "xoxb-test-token", "SLACK_API_URL": fake_slack.api_url}
    request = "⚠️ **CRITICAL: Human Approval Required**\n\n**Incident**: Database cluster down"
    channel, ts = SlackClient(env=env).post("#incidents", request, approval_blocks(request, APPROVAL_ID))
    handed: list[tuple[str, dict[str, Any]]] = []
    with open_store(f"sqlite:///{tmp_path / 'aof.db'}", clock=lambda: float(NOW)) as store:
        store.approvals.put_approval(
            ApprovalRecord(
                approval_id=APPROVAL_ID,
                run_id="run-TEST002",
                node_id="request-approval",
                task_token="task-token-1",
                plan={
                    "incident": "TEST002",
                    "resource": "statefulset/postgres",
                    "namespace": "production",
                    "proposed_actions": {"remediate": "kubectl rollout restart statefulset/postgres -n production"},
                },
                approvers=["U0APPROVER1"],
                requested_by="U0REQUESTER",
                channel=channel,
                message_ts=ts,
                expires_at=NOW + 3600,
            )
        )
        resolver = StoreApprovalResolver(
            store,
            lambda token, output: handed.append((token, json.loads(output))),
            env,
            on_decided=show_decision(lambda: make_notifier(env, store)),
        )
        world = SlackWorld()
        world.deps = SlackWebhookDeps(
            signing_secret=SECRET, resolver=resolver, deliveries=world.deliveries, clock=lambda: float(NOW)
        )

        status, body = world.click()

        assert status == 200 and body["applied"] is True, body
        assert store.approvals.get_approval(APPROVAL_ID).status == "approved"
    assert [(token, output["output"]["decision"]) for token, output in handed] == [("task-token-1", "approve")]
    message = fake_slack.messages[(channel, ts)]
    assert [b["type"] for b in message.history[0]["blocks"]].count("actions") == 1  # as first posted
    assert not [b for b in message.blocks if b["type"] == "actions"]  # the buttons are gone
    shown = [e["text"] for b in message.blocks for e in b.get("elements", [b.get("text") or {}]) if e.get("text")]
    # The plan decided on, from the stored record; then who decided and when (Slack's own date).
    assert shown == [
        "*Approval for incident TEST002*\n"
        "*Target*: statefulset/postgres in production\n"
        "*Proposed (remediate)*: kubectl rollout restart statefulset/postgres -n production",
        "✅ Approved by <@U0APPROVER1> at <!date^1763630160^{date_short_pretty} at {time}|2025-11-20 09:16 UTC>",
    ]
    assert message.text == "Approved by U0APPROVER1: incident TEST002"


class FlakyResolver(MemoryApprovals):
    def __init__(self) -> None:
        super().__init__()
        self.failures = 1

    def resolve(self, target: Any, decision: Any, user_id: str, at: Any) -> Any:
        if self.failures:
            self.failures -= 1
            raise ConnectionError("store unreachable")
        return super().resolve(target, decision, user_id, at)


def test_a_failed_reaction_is_retried_by_slack_and_applied_once() -> None:
    world = SlackWorld(FlakyResolver())

    status, body = world.event(reaction("white_check_mark"))
    assert status == 503 and "ConnectionError" in body["message"]
    assert world.deliveries.records["slack:Ev0AOF0000001"]["status"] == "failed"

    status, body = world.event(reaction("white_check_mark"), retry=1)
    assert status == 200 and body["applied"] is True
    assert world.approvals.sent_task_success == [(APPROVAL_ID, "approve")]


def test_a_failing_resolver_answers_503_to_a_click() -> None:
    world = SlackWorld(FlakyResolver())
    status, body = world.click()
    assert status == 503 and "try again" in body["message"]
    assert world.click()[1]["applied"] is True
