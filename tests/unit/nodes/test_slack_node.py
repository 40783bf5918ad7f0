"""The Slack node through the real slack_sdk WebClient against a local Slack Web API."""

from __future__ import annotations

import json
from typing import Any

from chalicelib.nodes.dispatch import run_task
from tests.unit.nodes.conftest import BOT_TOKEN, PD_KEY, incident_state, payload, slack_env, tutorial_node

DIAGNOSIS = {
    "output": {
        "severity": "high",
        "root_cause": "memory leak in api",
        "impact": "slow responses",
        "recommended_action": "kubectl rollout restart deployment/api -n production",
        "confidence": 0.9,
        "requires_approval": False,
    }
}


def message(text: str, node_id: str = "say") -> dict[str, Any]:
    return {"id": node_id, "type": "Slack", "config": {"channel": "#incidents", "message": text}}


def test_one_thread_per_incident_across_nodes_and_processes(slack, make_deps) -> None:
    env = slack_env(slack)
    first = run_task(
        "slack_node", payload(tutorial_node("notify-diagnosis"), incident_state(diagnose=DIAGNOSIS)), make_deps(**env)
    )
    # A later node runs in another Lambda (new process, new client): the thread is found in the store.
    second = run_task(
        "slack_node", payload(message("✅ **Incident Auto-Resolved**"), incident_state()), make_deps(**env)
    )
    other = run_task(
        "slack_node", payload(message("🚨 other incident"), incident_state("TEST002", "db down")), make_deps(**env)
    )

    top = slack.channel_messages("C0INCIDENTS")
    assert [m.ts for m in top] == [first["output"]["ts"], other["output"]["ts"]], "one top-level message per incident"
    replies = slack.replies("C0INCIDENTS", first["output"]["ts"])
    assert [m.ts for m in replies] == [second["output"]["ts"]]
    assert "Incident Auto-Resolved" in replies[0].text


def test_messages_are_block_kit_sections_with_slack_markdown(slack, make_deps) -> None:
    run_task(
        "slack_node",
        payload(tutorial_node("notify-diagnosis"), incident_state(diagnose=DIAGNOSIS)),
        make_deps(**slack_env(slack)),
    )
    posted = slack.calls_to("chat.postMessage")[0].params
    blocks = json.loads(posted["blocks"]) if isinstance(posted["blocks"], str) else posted["blocks"]
    assert {b["type"] for b in blocks} == {"section"}
    text = "\n".join(b["text"]["text"] for b in blocks)
    assert "*Incident Detected*" in text and "**" not in text
    assert "memory leak in api" in text and "kubectl rollout restart deployment/api -n production" in text
    assert posted["text"].startswith("🚨"), "the plain text fallback (notifications) is kept"


def test_hostile_incident_text_cannot_mention_everyone_or_forge_links(slack, make_deps) -> None:
    title = "<!channel> <https://evil.example|click> & $(rm -rf /)"
    run_task(
        "slack_node",
        payload(message("**Incident**: ${INCIDENT_TITLE}"), incident_state(title=title)),
        make_deps(**slack_env(slack)),
    )
    blocks = slack.channel_messages("C0INCIDENTS")[0].blocks
    text = blocks[0]["text"]["text"]
    assert "&lt;!channel&gt;" in text and "<!channel>" not in text
    assert "$(rm -rf /)" in text


def test_ten_kilobytes_of_emoji_fit_slack_limits(slack, make_deps) -> None:
    title = "🔥" * 2600
    run_task(
        "slack_node",
        payload(message("**Incident**: ${INCIDENT_TITLE}\n\n" + "x " * 4000), incident_state(title=title)),
        make_deps(**slack_env(slack)),
    )
    posted = slack.channel_messages("C0INCIDENTS")
    assert len(posted) == 1, "Slack accepted it (the fake enforces the 3,000-character section limit)"
    assert "".join(b["text"]["text"] for b in posted[0].blocks).count("🔥") == 2600


def test_a_secret_named_in_a_message_is_not_posted(slack, make_deps) -> None:
    env = slack_env(slack, PAGERDUTY_API_KEY=PD_KEY)
    run_task(
        "slack_node",
        payload(message("key ${PAGERDUTY_API_KEY} token ${SLACK_BOT_TOKEN}"), incident_state()),
        make_deps(**env),
    )
    seen = json.dumps([c.params for c in slack.calls])
    assert PD_KEY not in seen and BOT_TOKEN not in seen


def test_slack_throttling_is_retried(slack, make_deps) -> None:
    slack.fail_next(1, status=429, retry_after=0)
    out = run_task("slack_node", payload(message("hello"), incident_state()), make_deps(**slack_env(slack)))
    assert [c.status for c in slack.calls if c.method == "chat.postMessage"] == [429, 200]
    assert out["output"]["ts"] == slack.channel_messages("C0INCIDENTS")[0].ts


def test_an_approval_posts_buttons_stores_the_token_and_plan_and_a_retry_posts_once(slack, make_deps, store) -> None:
    env = slack_env(slack, SLACK_APPROVERS="U0APPROVER1, U0APPROVER2")
    node = tutorial_node("request-approval")
    critical = {
        "output": {
            **DIAGNOSIS["output"],
            "severity": "critical",
            "recommended_action": "kubectl rollout restart statefulset/postgres -n production",
        }
    }
    task = payload(node, incident_state("TEST002", "Database cluster down", diagnose=critical), task_token="token-abc")
    first = run_task("approval_node", task, make_deps(**env))
    again = run_task("approval_node", task, make_deps(**env))  # a retried Lambda
    assert first["status"] == "waiting" and again["output"] == first["output"]
    assert len(slack.calls_to("chat.postMessage")) == 1

    record = store.approvals.get_approval(first["output"]["approval_id"])
    assert record.task_token == "token-abc" and record.status == "pending"
    assert record.approvers == ["U0APPROVER1", "U0APPROVER2"]
    assert record.plan["proposed_actions"] == {"diagnose": "kubectl rollout restart statefulset/postgres -n production"}
    assert record.plan_hash and record.expires_at > 0
    posted = slack.messages[(record.channel, record.message_ts)]
    buttons = next(b for b in posted.blocks if b["type"] == "actions")["elements"]
    assert [b["text"]["text"] for b in buttons] == ["Approve", "Pause", "Skip"]
    assert "React with ✅" in posted.text, "the tutorial's reaction instructions stay"


def test_node_approvers_override_the_environment(slack, make_deps, store) -> None:
    node = {
        "id": "ask",
        "type": "Slack",
        "config": {"channel": "#incidents", "message": "ok?", "wait_for_reaction": True, "approvers": ["U0APPROVER2"]},
    }
    out = run_task(
        "approval_node",
        payload(node, incident_state(), task_token="t"),
        make_deps(**slack_env(slack, SLACK_APPROVERS="U0APPROVER1")),
    )
    assert store.approvals.get_approval(out["output"]["approval_id"]).approvers == ["U0APPROVER2"]


def test_without_a_bot_token_messages_are_printed_not_sent(slack, make_deps) -> None:
    deps = make_deps()
    out = run_task("slack_node", payload(message("🚨 hello from ${INCIDENT_ID}"), incident_state()), deps)
    assert out["status"] == "succeeded"
    assert "hello from TEST001" in deps.out.getvalue()
    assert slack.calls == []


def test_an_approval_nobody_in_particular_may_give_fails_in_a_deployed_stage(slack, make_deps, store) -> None:
    import pytest

    from chalicelib.errors import ConfigurationError

    node = {
        "id": "ask",
        "type": "Slack",
        "config": {"channel": "#incidents", "message": "ok?", "wait_for_reaction": True},
    }
    with pytest.raises(ConfigurationError, match="approval node 'ask' has no approvers"):
        run_task(
            "approval_node",
            payload(node, incident_state(), task_token="t"),
            make_deps(**slack_env(slack, AOF_BACKEND="aws")),
        )
    assert slack.calls_to("chat.postMessage") == [], "nothing was asked of a channel where anyone could answer"


def test_locally_an_unguarded_approval_is_asked_with_a_loud_warning_in_the_run(slack, make_deps, store) -> None:
    from chalicelib.store import RunRecord

    store.runs.create_run(
        RunRecord(run_id="run-1", flow="incident-auto-response", incident_id="TEST001", status="running")
    )
    node = {
        "id": "ask",
        "type": "Slack",
        "config": {"channel": "#incidents", "message": "ok?", "wait_for_reaction": True},
    }
    deps = make_deps(**slack_env(slack))
    run_task("approval_node", payload(node, incident_state(), task_token="t"), deps)
    warnings = [e for e in store.runs.events("run-1") if e.type == "Warning"]
    assert [w.details["unguarded_approval"] for w in warnings] == [True]
    assert "anyone in the channel can approve" in warnings[0].details["message"]
    assert slack.calls_to("chat.postMessage"), "the approval is still asked"


def test_an_approval_request_shows_exactly_the_changes_approving_allows(slack, make_deps, store) -> None:
    """A plan's prose can name a command it says not to run: the request lists every change the
    policy reads from it, so the approver sees what approving allows (and may decline)."""
    env = slack_env(slack, SLACK_APPROVERS="U0APPROVER1")
    prose = (
        "Restart the api pods (`kubectl rollout restart deployment/api -n production`). "
        "Do NOT run `kubectl delete deployment api -n production`: it takes the service down."
    )
    critical = {"output": {**DIAGNOSIS["output"], "severity": "critical", "recommended_action": prose}}
    task = payload(tutorial_node("request-approval"), incident_state(diagnose=critical), task_token="t")
    asked = run_task("approval_node", task, make_deps(**env))
    record = store.approvals.get_approval(asked["output"]["approval_id"])
    assert record.plan["changes"] == [
        "rollout restart deployment/api -n production",
        "delete deployment/api -n production",
    ]
    posted = slack.messages[(record.channel, record.message_ts)]
    shown = json.dumps(posted.blocks)
    assert "Approving allows exactly these changes, nothing else" in shown
    assert "delete deployment/api -n production" in shown and "rollout restart deployment/api -n production" in shown


def approval(decision: str, by: str = "U0ALICE", timed_out: bool = False) -> dict[str, Any]:
    return {"output": {"decision": decision, "decided_by": by, "timed_out": timed_out, "approved": decision == "approve"}}


def test_a_message_after_a_human_approval_says_who_approved_whatever_the_flow_text(slack, make_deps) -> None:
    env = slack_env(slack)
    success = message("✅ **Incident Auto-Resolved**\n\n**Status**: Resolved automatically", "notify-success")
    run_task("slack_node", payload(success, incident_state(**{"request-approval": approval("approve")})), make_deps(**env))
    run_task("slack_node", payload(success, incident_state("TEST002", "db down")), make_deps(**env))
    run_task(
        "slack_node",
        payload(success, incident_state("TEST003", "disk", **{"request-approval": approval("approve", timed_out=True)})),
        make_deps(**env),
    )

    approved, automatic, timed_out = (m.text for m in slack.channel_messages("C0INCIDENTS"))
    assert "U0ALICE approved this change in the thread; it was not applied automatically." in approved
    assert "approved" not in automatic and "approved" not in timed_out


def test_a_skip_is_reported_as_the_humans_choice_under_the_flows_message(slack, make_deps) -> None:
    state = incident_state(**{"request-approval": approval("skip", by="U0BOB")})
    run_task("slack_node", payload(message("🔴 **Escalated**", "escalate"), state), make_deps(**slack_env(slack)))

    (posted,) = slack.channel_messages("C0INCIDENTS")
    assert "U0BOB chose to skip the remediation; nothing was changed automatically." in posted.text
