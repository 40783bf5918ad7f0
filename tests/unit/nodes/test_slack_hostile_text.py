"""Incident data cannot ping a channel, mention anyone or forge a link in Slack: hostile incident
titles and agent answers through the real slack_sdk WebClient against a local Slack Web API."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest

from chalicelib.nodes.dispatch import run_task
from tests.fakes.slack_api import FakeSlackAPI
from tests.unit.nodes.conftest import incident_state, pagerduty_env, payload, slack_env, tutorial_node

HOSTILE_TITLES = [
    "<!channel> database down",
    "<!here|here> and <!everyone>",
    "ping <@U0APPROVER1> and <#C0INCIDENTS|incidents>",
    "<http://evil.example/login|Open the runbook>",
    "[Open the runbook](http://evil.example/login)",
    "<!subteam^S0SRE|@sre> & <mailto:x@evil.example|mail>",
]
#: Anything Slack would turn into a mention, a channel or user link, or a hyperlink.
CONTROL = re.compile(r"<[!@#]|<(https?|mailto):")


def everything_shown(slack: FakeSlackAPI) -> list[str]:
    """Each text a person in the channel (or a notification) would see, as Slack receives it."""
    texts: list[str] = []
    for message in slack.messages.values():
        texts.append(message.text)
        for block in message.blocks:
            if block.get("type") == "section":
                texts.append(block["text"]["text"])
            for element in block.get("elements", []):
                if element.get("type") == "mrkdwn":
                    texts.append(element["text"])
    return texts


def hostile_state(title: str) -> dict[str, Any]:
    diagnosis = {
        "severity": "critical",
        "root_cause": f"{title} (seen in logs)",
        "recommended_action": f"restart <!channel> {title}",
        "confidence": 0.9,
    }
    return incident_state("TEST002", title, diagnose={"output": diagnosis})


@pytest.mark.parametrize("title", HOSTILE_TITLES)
def test_the_tutorial_messages_carry_no_mention_or_link_from_incident_data(title, slack, make_deps) -> None:
    env = slack_env(slack)
    run_task("slack_node", payload(tutorial_node("notify-diagnosis"), hostile_state(title)), make_deps(**env))
    run_task(
        "approval_node",
        payload(tutorial_node("request-approval"), hostile_state(title), task_token="tok-1"),
        make_deps(**env),
    )
    shown = everything_shown(slack)
    assert len(shown) > 4
    for text in shown:
        assert not CONTROL.search(text), text
    blocks = " ".join(shown)
    assert "*Incident Detected*" in blocks, "the flow author's own markdown still renders"
    assert "&lt;" in blocks or "[Open the runbook](http://evil.example/login)" in blocks, "the title is shown, inert"


def test_the_decided_message_carries_no_mention_from_the_plan(slack, make_deps, store) -> None:
    from chalicelib.nodes.approvals import show_decision
    from chalicelib.service.ports import StoreApprovalResolver

    env = slack_env(slack, SLACK_APPROVERS="U0APPROVER1")
    title = "[click](http://evil.example) <!channel>"
    asked = run_task(
        "approval_node",
        payload(tutorial_node("request-approval"), hostile_state(title), task_token="tok-1"),
        make_deps(**env),
    )
    deps = make_deps(**env)
    resolver = StoreApprovalResolver(store, lambda *_: None, env, on_decided=show_decision(lambda: deps.notifier))
    assert resolver.resolve(asked["output"]["approval_id"], "approve", "U0APPROVER1", datetime.now(UTC)).applied
    message = slack.messages[(asked["output"]["channel"], asked["output"]["ts"])]
    footer = message.blocks[-1]["elements"][0]["text"]
    assert footer.startswith("✅ Approved by <@U0APPROVER1>"), "our own mention of the approver stays"
    sections = [b["text"]["text"] for b in message.blocks if b["type"] == "section"]
    assert any("Proposed" in text for text in sections)
    for text in [message.text, *sections]:
        assert not CONTROL.search(text), text


def test_an_escalation_summary_carries_no_mention(slack, pagerduty, make_deps) -> None:
    pagerduty.add_incident("TEST002")
    env = {**slack_env(slack), **pagerduty_env(pagerduty)}
    body = payload({"id": "x", "type": "Lifecycle", "config": {}}, hostile_state("<!channel> down"))
    body.pop("node")
    event = {"action": "node_failed", **body, "node_id": "remediate"}
    event["state"]["nodes"]["remediate"] = {
        "Error": "ServiceError",
        "Cause": "<!here> <@U0APPROVER1> <http://evil.example|log in>",
        "output": {"action_taken": "<!channel> restarted"},
    }
    run_task("lifecycle", event, make_deps(**env))
    shown = everything_shown(slack)
    assert any("&lt;!here&gt;" in text for text in shown), shown
    for text in shown:
        assert not CONTROL.search(text), text
