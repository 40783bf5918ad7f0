"""slack_sdk (through our wrapper) against the fake Slack Web API."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from slack_sdk import WebClient

from chalicelib.errors import ServiceError, ServiceUnavailable
from chalicelib.integrations.slack import IncidentThreads, InMemoryThreadIndex, SlackClient
from chalicelib.integrations.slack_blocks import approval_blocks, decided_blocks, markdown_to_blocks, timed_out_blocks
from tests.fakes.slack_api import BOT_USER_ID, FakeSlackAPI

TOKEN = "xoxb-test-token"


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def slack(fake: FakeSlackAPI, sleeps: Sleeps | None = None, **kwargs: object) -> SlackClient:
    return SlackClient(TOKEN, base_url=fake.api_url, sleep=sleeps if sleeps is not None else Sleeps(), **kwargs)  # type: ignore[arg-type]


def test_plain_slack_sdk_works_against_the_fake(fake_slack: FakeSlackAPI) -> None:
    client = WebClient(token=TOKEN, base_url=fake_slack.url + "/api/")

    posted = client.chat_postMessage(channel="#incidents", text="hello")
    client.reactions_add(channel=posted["channel"], timestamp=posted["ts"], name="eyes")

    assert posted["channel"] == "C0INCIDENTS"
    assert client.auth_test()["user_id"] == BOT_USER_ID
    assert fake_slack.messages[("C0INCIDENTS", posted["ts"])].reactions == ["eyes"]


def test_post_renders_the_tutorials_markdown_as_block_kit(fake_slack: FakeSlackAPI) -> None:
    text = "🚨 **Incident Detected**\n\n**Incident**: High memory usage\n**Service**: API Service"

    channel, ts = slack(fake_slack).post("#incidents", text, markdown_to_blocks(text))

    message = fake_slack.messages[(channel, ts)]
    assert channel == "C0INCIDENTS"
    assert message.text == text
    assert message.blocks == [
        {"type": "section", "text": {"type": "mrkdwn", "text": "🚨 *Incident Detected*"}},
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": "*Incident*: High memory usage\n*Service*: API Service"},
        },
    ]


def test_one_thread_per_incident(fake_slack: FakeSlackAPI) -> None:
    index = InMemoryThreadIndex()
    threads = IncidentThreads(slack(fake_slack), index)

    first = threads.post("TEST001", "#incidents", "🚨 Incident Detected")
    second = threads.post("TEST001", "#incidents", "✅ Incident Auto-Resolved")
    third = threads.post("TEST001", "#incidents", "PagerDuty closed")
    other = threads.post("TEST002", "#incidents", "🚨 Database cluster down")
    elsewhere = threads.post("TEST001", "#sre-postmortems", "report")

    assert [m.ts for m in fake_slack.channel_messages("C0INCIDENTS")] == [first[1], other[1]]
    assert [m.text for m in fake_slack.replies("C0INCIDENTS", first[1])] == [
        "✅ Incident Auto-Resolved",
        "PagerDuty closed",
    ]
    assert second[0] == third[0] == "C0INCIDENTS"
    assert elsewhere[0] == "C0POSTMORTEM" and fake_slack.replies("C0POSTMORTEM", elsewhere[1]) == []
    assert threads.thread_of("TEST001", "#incidents") == ("C0INCIDENTS", first[1])

    # A second process sharing the index keeps using the same thread.
    later = IncidentThreads(slack(fake_slack), index).post("TEST001", "#incidents", "follow-up")
    assert fake_slack.messages[later].thread_ts == first[1]


def test_approval_message_then_decided_update_removes_the_buttons(fake_slack: FakeSlackAPI) -> None:
    client = slack(fake_slack)
    text = "⚠️ **CRITICAL: Human Approval Required**\n\n**Proposed Fix**: restart statefulset/postgres"

    channel, ts = client.post("#incidents", text, approval_blocks(text, "apr-1"))
    posted = fake_slack.messages[(channel, ts)]
    actions = [b for b in posted.blocks if b["type"] == "actions"]
    assert [(e["action_id"], e["value"], e["text"]["text"]) for e in actions[0]["elements"]] == [
        ("approval.approve", "apr-1", "Approve"),
        ("approval.pause", "apr-1", "Pause"),
        ("approval.skip", "apr-1", "Skip"),
    ]
    assert actions[0]["block_id"] == "approval-actions"
    assert "✅" in posted.blocks[-1]["elements"][0]["text"] and "❌" in posted.blocks[-1]["elements"][0]["text"]

    at = datetime(2026, 11, 20, 9, 16, tzinfo=UTC)
    client.update(channel, ts, text, decided_blocks(text, "approve", "U0APPROVER1", at))

    updated = fake_slack.messages[(channel, ts)]
    assert all(b["type"] != "actions" for b in updated.blocks)
    assert "Approved by <@U0APPROVER1> at <!date^" in updated.blocks[-1]["elements"][0]["text"]
    assert "2026-11-20 09:16 UTC" in updated.blocks[-1]["elements"][0]["text"]

    client.update(channel, ts, text, timed_out_blocks(text, at))
    assert "No decision in time" in fake_slack.messages[(channel, ts)].blocks[-1]["elements"][0]["text"]


def test_reactions_and_lookups(fake_slack: FakeSlackAPI) -> None:
    client = slack(fake_slack)
    channel, ts = client.post("#incidents", "approve me")

    client.add_reaction(channel, ts, "white_check_mark")
    client.add_reaction(channel, ts, "white_check_mark")  # already there: not an error

    assert fake_slack.messages[(channel, ts)].reactions == ["white_check_mark"]
    assert client.bot_user_id() == BOT_USER_ID
    assert client.user_info("U0APPROVER1")["name"] == "alice"
    assert client.usergroup_members("S0ONCALL") == ["U0APPROVER1", "U0APPROVER2"]
    assert client.channel_info("C0INCIDENTS")["name"] == "incidents"


def test_rate_limit_is_retried_after_retry_after(fake_slack: FakeSlackAPI) -> None:
    sleeps = Sleeps()
    fake_slack.fail_next(1, status=429, retry_after=3)

    channel, ts = slack(fake_slack, sleeps).post("#incidents", "after the limit")

    assert sleeps == [3.0]
    assert fake_slack.messages[(channel, ts)].text == "after the limit"
    assert [c.status for c in fake_slack.calls] == [429, 200]


def test_server_errors_are_retried_then_raised(fake_slack: FakeSlackAPI) -> None:
    sleeps = Sleeps()
    fake_slack.fail_next(1, status=500)
    assert slack(fake_slack, sleeps).post("#incidents", "recovered")[0] == "C0INCIDENTS"
    assert len(sleeps) == 1

    fake_slack.fail_next(5, status=503)
    with pytest.raises(ServiceUnavailable):
        slack(fake_slack, Sleeps(), max_retries=2).post("#incidents", "lost")
    assert [c.status for c in fake_slack.calls[-3:]] == [503, 503, 503]


def test_persistent_rate_limit_is_service_unavailable(fake_slack: FakeSlackAPI) -> None:
    fake_slack.fail_next(5, status=429, retry_after=1)
    with pytest.raises(ServiceUnavailable):
        slack(fake_slack, max_retries=1).post("#incidents", "never")


def test_slack_refusals_are_service_errors_without_the_token(fake_slack: FakeSlackAPI) -> None:
    with pytest.raises(ServiceError) as unknown_channel:
        slack(fake_slack).post("#nowhere", "hi")
    assert unknown_channel.value.details["slack_error"] == "channel_not_found"

    bad = SlackClient("xoxb-leaked-secret", base_url=fake_slack.api_url)
    with pytest.raises(ServiceError) as refused:
        bad.post("#incidents", "hi")
    assert refused.value.details["slack_error"] == "invalid_auth"
    assert "xoxb-leaked-secret" not in str(refused.value) + repr(refused.value.to_dict()) + repr(bad)


def test_oversized_messages_are_split_so_slack_accepts_them(fake_slack: FakeSlackAPI) -> None:
    paragraph = ("**Root cause**: " + "memory leak in the cache layer " * 40).strip()
    text = "\n\n".join([paragraph] * 120) + "\n\n" + "z" * 7000

    blocks = markdown_to_blocks(text)
    channel, ts = slack(fake_slack).post("#incidents", text[:3000], blocks)

    assert len(fake_slack.messages[(channel, ts)].blocks) <= 50
    assert all(len(b["text"]["text"]) <= 3000 for b in blocks if b["type"] == "section")
    approval = approval_blocks(text, "apr-2")
    assert len(approval) <= 50 and approval[-2]["type"] == "actions"
    slack(fake_slack).post("#incidents", "approval", approval)
