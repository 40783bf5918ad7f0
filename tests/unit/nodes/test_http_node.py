"""The HTTP node: the tutorial's PagerDuty close against a local PagerDuty REST API, and the
guards every other request goes through."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from chalicelib.errors import AofError
from chalicelib.nodes.dispatch import run_task
from tests.unit.nodes.conftest import FROM, PD_KEY, incident_state, pagerduty_env, payload, tutorial_node

REMEDIATED = {
    "diagnose": {"output": {"severity": "high", "root_cause": "memory leak in api", "recommended_action": "restart"}},
    "remediate": {"output": {"action_taken": "kubectl rollout restart deployment/api", "result": "success"}},
}


def close(make_deps: Any, env: dict[str, str]) -> dict[str, Any]:
    return run_task(
        "http_node", payload(tutorial_node("close-pagerduty"), incident_state(**REMEDIATED)), make_deps(**env)
    )


def test_close_pagerduty_resolves_with_from_and_adds_the_diagnosis_as_a_note(pagerduty, make_deps) -> None:
    pagerduty.add_incident("TEST001")
    out = close(make_deps, pagerduty_env(pagerduty))
    assert out["status"] == "succeeded" and out["output"]["status_code"] == 200
    incident = pagerduty.incidents["TEST001"]
    assert incident.status == "resolved"
    assert incident.resolution == "Auto-resolved by AOF: kubectl rollout restart deployment/api"
    put = pagerduty.calls_to("PUT", "/incidents/TEST001")[0]
    assert put.headers["From"] == FROM and put.headers["Authorization"] == f"Token token={PD_KEY}"
    assert put.headers["Accept"] == "application/vnd.pagerduty+json;version=2"
    assert "memory leak in api" in incident.notes[0]["content"]
    assert pagerduty.calls_to("POST", "/incidents/TEST001/notes")[0].headers["From"] == FROM


def test_the_api_key_never_reaches_the_node_output(pagerduty, make_deps) -> None:
    pagerduty.add_incident("TEST001")
    out = close(make_deps, pagerduty_env(pagerduty))
    assert PD_KEY not in json.dumps(out)
    assert out["meta"]["request"]["headers"]["Authorization"] != f"Token token={PD_KEY}"


def test_throttling_is_retried_after_retry_after(pagerduty, make_deps) -> None:
    pagerduty.add_incident("TEST001")
    pagerduty.fail_next(1, status=429, retry_after=0)
    close(make_deps, pagerduty_env(pagerduty))
    assert [c.status for c in pagerduty.calls_to("PUT", "/incidents/TEST001")] == [429, 200]
    assert pagerduty.incidents["TEST001"].status == "resolved"


def test_pagerduty_that_stays_down_raises_a_retryable_error(pagerduty, make_deps) -> None:
    pagerduty.add_incident("TEST001")
    pagerduty.fail_next(3, status=429, retry_after=0)
    with pytest.raises(AofError) as raised:
        close(make_deps, pagerduty_env(pagerduty))
    assert raised.value.retryable, "Step Functions retries the task (the definition's Retry matches the class)"
    assert pagerduty.incidents["TEST001"].status == "triggered"


def test_without_an_api_key_the_call_is_printed_and_nothing_is_sent(pagerduty, make_deps) -> None:
    pagerduty.add_incident("TEST001")
    deps = make_deps(PAGERDUTY_API_URL=pagerduty.url)
    out = run_task("http_node", payload(tutorial_node("close-pagerduty"), incident_state(**REMEDIATED)), deps)
    assert out["meta"]["simulated"] is True and out["meta"]["resolved_incident"] is True
    assert "resolve incident TEST001" in deps.out.getvalue()
    assert pagerduty.calls == []


def request_node(url: str, **config: Any) -> dict[str, Any]:
    return {"id": "fetch", "type": "HTTP", "config": {"url": url, "method": "GET", **config}}


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://metadata.google.internal/",
        "http://127.0.0.1:9/x",
        "file:///etc/passwd",
    ],
)
def test_metadata_link_local_loopback_and_other_schemes_are_refused(url, make_deps) -> None:
    with pytest.raises(AofError):
        run_task("http_node", payload(request_node(url), incident_state()), make_deps())


def allowing_local(node: dict[str, Any], state: dict[str, Any]) -> dict[str, Any]:
    """The node's payload in a flow whose egress allowlist names the local test servers."""
    body = payload(node, state)
    body["flow"]["allowed_hosts"] = ["127.0.0.1", "169.254.169.254"]
    return body


def test_link_local_stays_refused_even_when_the_allowlist_names_it(make_deps) -> None:
    with pytest.raises(AofError):
        run_task("http_node", allowing_local(request_node("http://169.254.169.254/"), incident_state()), make_deps())


def test_incident_values_in_a_url_stay_one_path_segment(httpserver, make_deps) -> None:
    httpserver.expect_request(re.compile("^/api/")).respond_with_json({"ok": True})
    state = incident_state()
    state["vars"]["INCIDENT_SERVICE"] = "../admin?x=1"
    node = request_node(httpserver.url_for("/api") + "/${INCIDENT_SERVICE}")
    out = run_task("http_node", allowing_local(node, state), make_deps())
    assert out["output"]["json"] == {"ok": True}
    raw = [r.environ.get("REQUEST_URI") or r.environ.get("RAW_URI") for r, _ in httpserver.log]
    assert raw == ["/api/..%2Fadmin%3Fx%3D1"], "no new path segment, no query of its own"


def test_a_redirect_to_metadata_is_not_followed(httpserver, make_deps) -> None:
    httpserver.expect_request("/moved").respond_with_data(
        "", status=302, headers={"Location": "http://169.254.169.254/"}
    )
    with pytest.raises(AofError):
        run_task(
            "http_node",
            allowing_local(request_node(httpserver.url_for("/moved")), incident_state()),
            make_deps(),
        )
    assert len(httpserver.log) == 1
