"""Values spliced into an HTTP node's JSON body stay JSON values: the tutorial's PagerDuty close
against a local PagerDuty REST API, with agent output written to break or hijack it."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.errors import AofError
from chalicelib.nodes.dispatch import run_task
from tests.unit.nodes.conftest import incident_state, pagerduty_env, payload, tutorial_node


def close_with(action_taken: str, pagerduty: Any, make_deps: Any) -> dict[str, Any]:
    state = incident_state(
        diagnose={"output": {"severity": "high", "root_cause": "leak", "recommended_action": "restart"}},
        remediate={"output": {"action_taken": action_taken, "result": "success"}},
    )
    return run_task(
        "http_node", payload(tutorial_node("close-pagerduty"), state), make_deps(**pagerduty_env(pagerduty))
    )


@pytest.mark.parametrize(
    "action_taken",
    [
        'kubectl annotate deployment/api note="restarted by AOF"',
        "path C:\\temp\\new and a tab\there",
        'line one\nline two with "quotes" and a } brace',
        "emoji ✅ and a control \x01 char",
    ],
)
def test_a_quote_or_escape_in_agent_output_does_not_break_the_close(action_taken, pagerduty, make_deps) -> None:
    pagerduty.add_incident("TEST001")
    close_with(action_taken, pagerduty, make_deps)
    incident = pagerduty.incidents["TEST001"]
    assert incident.status == "resolved"
    assert incident.resolution == f"Auto-resolved by AOF: {action_taken}"


def test_a_crafted_value_cannot_set_status_or_add_keys(pagerduty, make_deps) -> None:
    pagerduty.add_incident("TEST001")
    crafted = 'done", "status": "acknowledged", "escalation_level": 3, "x": "'
    close_with(crafted, pagerduty, make_deps)
    incident = pagerduty.incidents["TEST001"]
    assert incident.status == "resolved" and incident.escalation_level != 3
    put = pagerduty.calls_to("PUT", "/incidents/TEST001")[0]
    assert set(put.body["incident"]) == {"type", "status", "resolution"}
    assert put.body["incident"]["resolution"] == f"Auto-resolved by AOF: {crafted}"


def metrics_node(url: str) -> dict[str, Any]:
    body = (
        '{\n  "incident_id": "${INCIDENT_ID}",\n  "duration": ${flow.duration_seconds},\n'
        '  "severity": ${INCIDENT_TITLE},\n  "auto_resolved": ${remediate.output.result == "success"},\n'
        '  "missing": ${diagnose.output.nothing}\n}'
    )
    return {"id": "track-metrics", "type": "HTTP", "config": {"method": "POST", "url": url, "body": body}}


def test_values_outside_strings_are_one_json_value_each(httpserver, make_deps) -> None:
    httpserver.expect_request("/incidents", method="POST").respond_with_json({"ok": True})
    state = incident_state(title='1, "status": "resolved"', remediate={"output": {"result": "success"}})
    body = payload(metrics_node(httpserver.url_for("/incidents")), state)
    body["flow"]["allowed_hosts"] = ["127.0.0.1"]
    run_task("http_node", body, make_deps())
    request = httpserver.log[0][0]
    assert request.headers["Content-Type"] == "application/json"
    sent = request.get_json()
    assert sent["severity"] == '1, "status": "resolved"' and "status" not in sent
    assert sent["auto_resolved"] is True and sent["missing"] is None
    assert isinstance(sent["duration"], int | float) and sent["incident_id"] == "TEST001"


def test_a_body_that_is_not_json_is_reported_when_the_flow_is_validated(tmp_path) -> None:
    from chalicelib.errors import SpecError
    from chalicelib.spec import load_resources

    flow = tmp_path / "flow.yaml"
    flow.write_text(
        "apiVersion: aof.dev/v1\nkind: AgentFlow\nmetadata:\n  name: f\nspec:\n"
        "  trigger:\n    type: Manual\n  nodes:\n    - id: close\n      type: HTTP\n      config:\n"
        "        method: PUT\n        url: https://api.pagerduty.com/incidents/x\n"
        '        body: |\n          {"incident": {"status": "resolved",}}\n'
    )
    with pytest.raises(SpecError) as raised:
        load_resources([str(flow)])
    problems = raised.value.problems
    assert any(f"{flow}:14" in p and "config.body" in p and "not JSON" in p for p in problems), problems


def test_an_unparseable_body_fails_the_node_before_anything_is_sent(httpserver, make_deps) -> None:
    node = {
        "id": "n",
        "type": "HTTP",
        "config": {
            "method": "POST",
            "url": httpserver.url_for("/x"),
            "body": '{"a": ${INCIDENT_ID}',
        },
    }
    body = payload(node, incident_state())
    body["flow"]["allowed_hosts"] = ["127.0.0.1"]
    with pytest.raises(AofError):
        run_task("http_node", body, make_deps())
    assert httpserver.log == []
