"""The tutorial's YAML loads as written; the example flows built on it validate too."""

from __future__ import annotations

from chalicelib.spec import FlowGraph, load_paths, load_resources, load_text, validate_resources
from chalicelib.spec.models import HTTPNode, ScheduleTrigger, SlackNode

from .support import AGENTS_DIR, FLOWS_DIR, ROOT, TUTORIAL_FILES, TUTORIAL_FLOW, check

REPEATED_TO = "repeated 'to:' key (first at line {first}) read as a list of targets; write 'to: [a, b]'"


def test_the_four_tutorial_files_validate_with_two_warnings_for_repeated_to():
    resources = load_paths(TUTORIAL_FILES)
    problems = [*resources.problems, *validate_resources(resources)]

    assert problems == []
    assert sorted(resources.agents) == ["incident-diagnostic", "incident-remediation", "post-incident-analyzer"]
    assert list(resources.flows) == ["incident-auto-response"]
    assert len(resources.warnings) == 2
    first, second = resources.warnings
    assert first.startswith(f"{TUTORIAL_FLOW}:253: ")
    assert REPEATED_TO.format(first=252) in first
    assert second.startswith(f"{TUTORIAL_FLOW}:269: ")
    assert REPEATED_TO.format(first=268) in second


def test_load_resources_accepts_the_tutorial():
    resources = load_resources(TUTORIAL_FILES)
    assert resources.source("AgentFlow", "incident-auto-response").file == str(TUTORIAL_FLOW)


def test_repeated_to_keys_become_fan_out_connections():
    flow = load_paths(TUTORIAL_FILES).flows["incident-auto-response"]
    graph = FlowGraph.of(flow)

    assert graph.successors["check-severity"] == ["request-approval", "auto-approve"]
    assert graph.successors["remediation-failed"] == ["rollback", "notify-success"]
    assert graph.predecessors["remediate"] == ["request-approval", "auto-approve"]
    assert graph.entries == ["parse-alert"]
    assert graph.topological_order()[:4] == ["parse-alert", "diagnose", "notify-diagnosis", "check-severity"]


def test_list_form_of_to_is_clean():
    text = TUTORIAL_FLOW.read_text(encoding="utf-8")
    text = text.replace(
        "      to: request-approval\n      to: auto-approve\n", "      to: [request-approval, auto-approve]\n"
    )
    text = text.replace("      to: rollback\n      to: notify-success\n", "      to: [rollback, notify-success]\n")

    problems, warnings = check(text)

    assert problems == []
    assert warnings == []


def test_three_repeated_to_keys_warn_once_and_keep_all_targets():
    text = TUTORIAL_FLOW.read_text(encoding="utf-8").replace(
        "      to: request-approval\n      to: auto-approve\n",
        "      to: request-approval\n      to: auto-approve\n      to: [notify-success]\n",
    )
    resources = load_text(text, "flow.yaml")
    check_severity = next(
        c for c in resources.flows["incident-auto-response"].spec.connections if c.from_ == "check-severity"
    )

    assert check_severity.to == ["request-approval", "auto-approve", "notify-success"]
    assert [w.split(": ")[0] for w in resources.warnings] == ["flow.yaml:253", "flow.yaml:270"]


def test_post_incident_daily_flow_validates_with_the_agents():
    path = FLOWS_DIR / "post-incident-daily.yaml"
    resources = load_resources([AGENTS_DIR, path])
    flow = resources.flows["post-incident-daily"]

    assert resources.warnings == []
    assert isinstance(flow.spec.trigger, ScheduleTrigger)
    assert flow.spec.trigger.config.schedule == "rate(1 day)"
    analysis, report = flow.spec.nodes
    assert analysis.config.agent == "post-incident-analyzer"
    assert analysis.config.input == "Analyze all incidents from the past 24 hours: /tmp/incident-*.json"
    assert isinstance(report, SlackNode)
    assert report.config.channel == "#sre-postmortems"
    assert report.config.message == "${daily-analysis.output}"
    assert FlowGraph.of(flow).successors == {"daily-analysis": ["send-report"], "send-report": []}


def test_production_example_validates_with_the_agents():
    path = ROOT / "examples" / "production" / "incident-response-with-runbook.yaml"
    resources = load_resources([AGENTS_DIR, path])
    flow = resources.flows["incident-response-with-runbook"]
    graph = FlowGraph.of(flow)

    assert resources.warnings == []
    assert flow.spec.rate_limit is not None
    assert flow.spec.rate_limit.model_dump() == {"max_concurrent": 3, "queue_size": 10, "timeout_seconds": 1800}
    assert graph.topological_order()[:4] == [
        "parse-alert",
        "fetch-runbook",
        "diagnose-with-runbook",
        "notify-diagnosis",
    ]
    assert graph.successors["log-incident"] == ["track-metrics"]
    fetch = flow.spec.node("fetch-runbook")
    assert isinstance(fetch, HTTPNode)
    assert (fetch.config.method, fetch.config.url) == (
        "GET",
        "https://runbooks.yourcompany.com/api/${INCIDENT_SERVICE}",
    )
    track = flow.spec.node("track-metrics")
    assert isinstance(track, HTTPNode)
    assert (track.config.method, track.config.url) == ("POST", "https://metrics.yourcompany.com/incidents")
    assert '"auto_resolved": ${remediate.output.result == "success"}' in str(track.config.body)
    assert "Runbook Steps: ${fetch-runbook.output}" in flow.spec.node("diagnose-with-runbook").config.input
    assert "diagnose" not in graph.nodes
    assert "${diagnose." not in path.read_text(encoding="utf-8")


def test_all_shipped_flows_and_examples_validate_together():
    resources = load_resources([AGENTS_DIR, FLOWS_DIR, ROOT / "examples" / "production"])
    assert {"incident-auto-response", "post-incident-daily", "incident-response-with-runbook"} <= set(resources.flows)
