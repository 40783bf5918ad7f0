"""No pretend success in a deployed stage: a missing credential fails by name, nothing is printed.

The embedded default keeps printing what it cannot send, and the run's record (and the
postmortem ``aofctl report`` writes) says which messages were only printed.
"""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.errors import MissingCredential, retryable_error_names
from chalicelib.nodes.dispatch import run_task
from chalicelib.reports.markdown import postmortem_markdown
from chalicelib.store import RunRecord
from tests.unit.nodes.conftest import incident_state, payload, tutorial_node

DEPLOYED = {"AOF_BACKEND": "aws"}
REMEDIATED = {"remediate": {"output": {"action_taken": "kubectl rollout restart deployment/api", "result": "success"}}}


def close_pagerduty(deps: Any) -> dict[str, Any]:
    return run_task("http_node", payload(tutorial_node("close-pagerduty"), incident_state(**REMEDIATED)), deps)


def notify(deps: Any) -> dict[str, Any]:
    return run_task("slack_node", payload(tutorial_node("notify-success"), incident_state(**REMEDIATED)), deps)


def test_a_deployed_pagerduty_call_without_an_api_key_fails_by_name(pagerduty, make_deps) -> None:
    pagerduty.add_incident("TEST001")
    deps = make_deps(PAGERDUTY_API_URL=pagerduty.url, **DEPLOYED)
    with pytest.raises(MissingCredential) as raised:
        close_pagerduty(deps)
    assert raised.value.variable == "PAGERDUTY_API_KEY" and "close-pagerduty" in raised.value.message
    assert deps.out.getvalue() == "" and pagerduty.calls == []


def test_a_deployed_slack_message_without_a_bot_token_fails_by_name(make_deps) -> None:
    deps = make_deps(**DEPLOYED)
    with pytest.raises(MissingCredential) as raised:
        notify(deps)
    assert raised.value.variable == "SLACK_BOT_TOKEN"
    assert deps.out.getvalue() == ""


def test_the_error_is_one_the_definition_retries_before_its_error_path() -> None:
    # A Python Lambda reports the class name as errorType; the compiled Retry lists these names.
    assert "MissingCredential" in retryable_error_names()


def test_the_embedded_default_prints_and_the_record_and_report_say_so(store, pagerduty, make_deps) -> None:
    store.runs.create_run(RunRecord(run_id="run-1", flow="incident-auto-response", status="running"))
    pagerduty.add_incident("TEST001")
    deps = make_deps(PAGERDUTY_API_URL=pagerduty.url)

    close_pagerduty(deps)
    notify(deps)

    assert "resolve incident TEST001" in deps.out.getvalue() and "Slack" in deps.out.getvalue()
    printed = [e for e in store.runs.events("run-1") if e.type == "MessagePrinted"]
    assert [(e.node_id, e.details["service"]) for e in printed] == [
        ("close-pagerduty", "pagerduty"),
        ("notify-success", "slack"),
    ]
    report = postmortem_markdown(store.runs.get_run("run-1"), [], printed=printed)
    assert "## Printed, not sent" in report
    assert "`close-pagerduty`: PagerDuty PUT" in report and "PAGERDUTY_API_KEY is not set" in report
    assert "`notify-success`: Slack" in report and "SLACK_BOT_TOKEN is not set" in report


def test_a_sent_message_is_not_recorded_as_printed(store, slack, make_deps) -> None:
    from tests.unit.nodes.conftest import slack_env

    store.runs.create_run(RunRecord(run_id="run-1", flow="incident-auto-response", status="running"))
    notify(make_deps(**slack_env(slack)))
    assert [e for e in store.runs.events("run-1") if e.type == "MessagePrinted"] == []
    assert slack.calls_to("chat.postMessage")
