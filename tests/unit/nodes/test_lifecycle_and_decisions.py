"""What people see when an approval is decided or times out, and when a node fails."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from chalicelib.nodes.dispatch import run_task
from tests.unit.nodes.conftest import incident_state, pagerduty_env, payload, slack_env


def request(make_deps: Any, env: dict[str, str], run: str = "run-1", token: str = "tok-1") -> dict[str, Any]:
    node = {
        "id": "request-approval",
        "type": "Slack",
        "config": {
            "channel": "#incidents",
            "message": "⚠️ **Approve?** ${INCIDENT_TITLE}",
            "wait_for_reaction": True,
            "timeout_seconds": 600,
        },
    }
    state = incident_state(diagnose={"output": {"recommended_action": "kubectl rollout restart deployment/api"}})
    return run_task("approval_node", payload(node, state, run=run, task_token=token), make_deps(**env))


def lifecycle(
    action: str, state: dict[str, Any], run: str = "run-1", node_id: str | None = "request-approval"
) -> dict[str, Any]:
    body = payload({"id": "x", "type": "Lifecycle", "config": {}}, state, run=run)
    body.pop("node")
    return {"action": action, **body, **({"node_id": node_id} if node_id else {})}


def test_a_decision_updates_the_message_with_who_and_when_and_removes_the_buttons(slack, make_deps, store) -> None:
    from chalicelib.nodes.approvals import show_decision
    from chalicelib.service.ports import StoreApprovalResolver

    env = slack_env(slack, SLACK_APPROVERS="U0APPROVER1")
    asked = request(make_deps, env)
    sent: list[tuple[str, str]] = []
    deps = make_deps(**env)
    resolver = StoreApprovalResolver(
        store, lambda token, out: sent.append((token, out)), env, on_decided=show_decision(lambda: deps.notifier)
    )
    at = datetime(2026, 11, 26, 10, 5, tzinfo=UTC)
    result = resolver.resolve(asked["output"]["approval_id"], "approve", "U0APPROVER1", at)
    assert result.applied
    assert [token for token, _ in sent] == ["tok-1"]
    assert json.loads(sent[0][1])["output"]["reaction"] == "white_check_mark"
    message = slack.messages[(asked["output"]["channel"], asked["output"]["ts"])]
    assert not [b for b in message.blocks if b["type"] == "actions"]
    footer = message.blocks[-1]["elements"][0]["text"]
    assert footer.startswith(f"✅ Approved by <@U0APPROVER1> at <!date^{int(at.timestamp())}^")
    assert footer.endswith("|2026-11-26 10:05 UTC>")
    assert "kubectl rollout restart deployment/api" in json.dumps(message.blocks), "what was approved stays visible"


def test_refused_decisions_send_nothing_and_leave_the_message(slack, make_deps, store) -> None:
    from chalicelib.nodes.approvals import show_decision
    from chalicelib.service.ports import StoreApprovalResolver

    env = slack_env(slack, SLACK_APPROVERS="U0APPROVER1")
    asked = request(make_deps, env)
    sent: list[Any] = []
    deps = make_deps(**env)
    resolver = StoreApprovalResolver(
        store, lambda *a: sent.append(a), env, on_decided=show_decision(lambda: deps.notifier)
    )
    now = datetime.now(UTC)
    assert (
        "not an allowed approver"
        in resolver.resolve(asked["output"]["approval_id"], "approve", "U0INTRUDER", now).message
    )
    assert "own request" in resolver.resolve(asked["output"]["approval_id"], "approve", "aof", now).message
    assert sent == [] and slack.calls_to("chat.update") == []


def test_a_slack_outage_on_update_does_not_undo_the_decision(slack, make_deps, store) -> None:
    from chalicelib.nodes.approvals import show_decision
    from chalicelib.service.ports import StoreApprovalResolver

    env = slack_env(slack, SLACK_APPROVERS="U0APPROVER1")
    asked = request(make_deps, env)
    deps = make_deps(**env)
    resolver = StoreApprovalResolver(store, lambda *a: None, env, on_decided=show_decision(lambda: deps.notifier))
    slack.tokens.clear()  # every call now fails with invalid_auth
    assert resolver.resolve(asked["output"]["approval_id"], "approve", "U0APPROVER1", datetime.now(UTC)).applied
    assert store.approvals.get_approval(asked["output"]["approval_id"]).status == "approved"


def test_a_timed_out_approval_updates_its_message_and_pages_humans(slack, pagerduty, make_deps, store) -> None:
    pagerduty.add_incident("TEST001")
    env = {**slack_env(slack), **pagerduty_env(pagerduty)}
    asked = request(make_deps, env)
    out = run_task("lifecycle", lifecycle("approval_timed_out", incident_state()), make_deps(**env))
    assert out["status"] == "timed_out" and out["output"]["approved"] is False
    assert out["output"]["approval_id"] == asked["output"]["approval_id"]
    update = slack.calls_to("chat.update")[0].params
    assert update["ts"] == asked["output"]["ts"] and "No decision in time" in json.dumps(update["blocks"])
    assert store.approvals.get_approval(asked["output"]["approval_id"]).status == "timed_out"
    assert "NOT approved" in pagerduty.incidents["TEST001"].notes[0]["content"]
    replies = slack.replies("C0INCIDENTS", asked["output"]["ts"])
    assert any("Paging a human" in m.text for m in replies)


def test_a_decision_taken_just_before_the_timeout_is_not_overwritten(slack, pagerduty, make_deps, store) -> None:
    pagerduty.add_incident("TEST001")
    env = {**slack_env(slack), **pagerduty_env(pagerduty)}
    asked = request(make_deps, env)
    store.approvals.decide(asked["output"]["approval_id"], "approved", "U0APPROVER1", datetime.now(UTC))
    run_task("lifecycle", lifecycle("approval_timed_out", incident_state()), make_deps(**env))
    assert store.approvals.get_approval(asked["output"]["approval_id"]).status == "approved"
    assert slack.calls_to("chat.update") == []


def test_a_failed_node_escalates_with_what_failed_and_what_was_tried(slack, pagerduty, make_deps) -> None:
    pagerduty.add_incident("TEST001")
    env = {**slack_env(slack), **pagerduty_env(pagerduty)}
    state = incident_state(
        remediate={
            "Error": "ServiceUnavailable",
            "Cause": "cluster unreachable",
            "output": {"action_taken": "kubectl rollout restart deployment/api"},
        }
    )
    out = run_task("lifecycle", lifecycle("node_failed", state, node_id=None), make_deps(**env))
    assert out["status"] == "failed" and out["output"]["failed"] == ["remediate"]
    note = pagerduty.incidents["TEST001"].notes[0]["content"]
    assert "remediate failed: ServiceUnavailable" in note and "kubectl rollout restart deployment/api" in note
    assert any("needs a human" in m.text for m in slack.channel_messages("C0INCIDENTS"))
