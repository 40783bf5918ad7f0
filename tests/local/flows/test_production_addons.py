"""The tutorial's production add-ons: rate limit, runbook fetch, metrics.

The add-on flow fetches its runbook from ``https://runbooks.yourcompany.com``; here the runbook
server is a local one on 127.0.0.1. The HTTP node refuses loopback and private addresses unless
the flow's ``spec.egress.allowed_hosts`` names them, so the test runs a copy of the flow that
lists 127.0.0.1 there, exactly as an operator with an internal runbook service would write it.
A second test keeps the flow as written and shows the refusal.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.local.flows.conftest import Tutorial
from tests.local.routes.support import ROOT, bearer, tutorial

FLOW = "incident-response-with-runbook"
SOURCE = ROOT / "examples" / "production" / "incident-response-with-runbook.yaml"
#: What the API Service's runbook says; it names the workload, which is what lets the
#: diagnosis (offline model here) act on it.
RUNBOOK = {
    "service": "API Service",
    "namespace": "production",
    "resource": "deployment/api",
    "steps": [
        "Check memory of deployment/api in namespace production",
        "Restart the deployment if the heap is exhausted",
    ],
}


def flow_copy(directory: Path, server: Any, *, allow_local: bool) -> str:
    text = SOURCE.read_text()
    if allow_local:  # the flow's egress allowlist names the local server
        text = text.replace("\nspec:\n", "\nspec:\n  egress:\n    allowed_hosts: [127.0.0.1]\n", 1)
    runbook = "url: https://runbooks.yourcompany.com/api/${INCIDENT_SERVICE}\n        method: GET"
    metrics = "url: https://metrics.yourcompany.com/incidents"
    assert runbook in text and metrics in text, "the add-on flow changed: update this test"
    text = text.replace(runbook, f"url: {server.url_for('/api')}/${{INCIDENT_SERVICE}}\n        method: GET")
    text = text.replace(metrics, f"url: {server.url_for('/metrics')}")
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "runbook-flow.yaml").write_text(text)
    return str(directory)


def start(t: Tutorial) -> str:
    answer = t.client.http.post("/pagerduty/webhook", headers=bearer(), body=json.dumps(tutorial("TEST001")))
    assert answer.status_code == 202, answer.body
    return str(json.loads(answer.body)["run_id"])


def test_the_add_ons_validate_and_rate_limit_is_on_the_flow_and_its_definition() -> None:
    from chalicelib.compiler import compile_flow
    from chalicelib.spec import load_resources

    resources = load_resources([str(ROOT / "agents"), str(SOURCE.parent)])
    flow = resources.flows[FLOW]
    limit = flow.spec.rate_limit
    assert (limit.max_concurrent, limit.queue_size, limit.timeout_seconds) == (3, 10, 1800)
    definition = compile_flow(flow, resources.agents)
    assert definition["TimeoutSeconds"] == 1800
    assert {"fetch-runbook", "diagnose-with-runbook", "track-metrics"} <= set(definition["States"])


def test_the_runbook_feeds_the_diagnosis_and_metrics_are_posted(tutorial_app, httpserver, tmp_path) -> None:
    httpserver.expect_request("/api/API Service", method="GET").respond_with_json(RUNBOOK)
    httpserver.expect_request("/metrics", method="POST").respond_with_json({"ok": True})
    t = tutorial_app("TEST001", flows=[flow_copy(tmp_path / "flows", httpserver, allow_local=True)], flow=FLOW)
    run_id = start(t)
    assert t.outcome(run_id) == "resolved"

    calls = [
        e for e in t.local.store.runs.events(run_id) if e.type == "AgentCall" and e.node_id == "diagnose-with-runbook"
    ]
    assert "Restart the deployment if the heap is exhausted" in calls[0].details["input"]
    assert calls[0].details["output"]["severity"] == "high"
    requests = [(r.method, r.path) for r, _ in httpserver.log]
    assert requests == [("GET", "/api/API Service"), ("POST", "/metrics")]
    metrics = json.loads(httpserver.log[1][0].data)
    assert metrics["incident_id"] == "TEST001" and metrics["auto_resolved"] is True
    assert metrics["severity"] == "high" and isinstance(metrics["duration"], int)
    assert t.pagerduty.incidents["TEST001"].status == "resolved"
    assert len(t.slack.channel_messages("C0INCIDENTS")) == 1, "one thread for the incident"


def test_as_written_the_flow_may_not_reach_a_loopback_runbook_and_pages_a_human(
    tutorial_app, httpserver, tmp_path
) -> None:
    httpserver.expect_request("/api/API Service").respond_with_json(RUNBOOK)
    t = tutorial_app("TEST001", flows=[flow_copy(tmp_path / "flows", httpserver, allow_local=False)], flow=FLOW)
    run_id = start(t)
    assert t.outcome(run_id) == "failed"
    assert httpserver.log == [], "the request never left"
    history = t.local.runtime.history(t.local.store.runs.get_run(run_id).execution_arn)
    failures = [e for e in history if e["type"] == "TaskFailed"]
    assert failures[0]["taskFailedEventDetails"]["error"] == "ToolRefused"
    assert "127.0.0.1 is loopback, private" in failures[0]["taskFailedEventDetails"]["cause"]
    assert not [a for a in t.cluster.actions if not a.get("dry_run")], "nothing was changed without a diagnosis"
    assert any("needs a human" in m.text for m in t.slack.channel_messages("C0INCIDENTS"))
