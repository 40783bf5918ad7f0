"""A real PagerDuty v3 webhook (no custom_details, no REST API key) is diagnosed where the
cluster shows the trouble, and the diagnosis says how it found it."""

from __future__ import annotations

from pathlib import Path

from chalicelib.webhooks.pagerduty_body import parse_body

SAMPLE = Path(__file__).resolve().parents[2] / "events" / "pagerduty-v3-incident-triggered.json"


def test_a_v3_event_without_details_finds_the_troubled_workload(tutorial_app) -> None:
    t = tutorial_app("TEST001")  # deployment/api in production is OOM-killed and crash-looping
    event = parse_body(SAMPLE.read_bytes()).to_flow_event()
    assert not event["incident"].get("custom_details"), "the sample carries no namespace or resource"
    t.pagerduty.add_incident(event["incident"]["id"], title=event["incident"]["title"])
    run_id = t.local.start_run("incident-auto-response", event, "e2e-v3")
    assert t.outcome(run_id) == "resolved"
    calls = [e.details for e in t.local.store.runs.events(run_id) if e.type == "AgentCall" and e.node_id == "diagnose"]
    diagnosis = calls[0]["output"]
    assert "0 unhealthy" not in diagnosis["root_cause"]
    assert "deployment/api in production" in diagnosis["root_cause"], diagnosis
    assert "found by listing the pods of every namespace" in diagnosis["root_cause"]
    assert "production" in diagnosis["recommended_action"], diagnosis
