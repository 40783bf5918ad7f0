"""``builtin:triage`` diagnoses every sandbox scenario and carries out the remediation it names."""

from __future__ import annotations

import json

import pytest

from chalicelib.agents.loop import run_agent
from sandbox.scenarios import list_scenarios
from tests.unit.agents.conftest import KUBERNETES, SHELL_KUBECTL, incident_prompt, options, variant


def offline(agent, tools=SHELL_KUBECTL, **spec):
    return variant(agent, model="builtin:triage", tools=[tools] if tools else [], **spec)


@pytest.mark.parametrize("scenario", list_scenarios())
def test_diagnoses_each_scenario_and_fixes_the_resolvable_ones(tutorial, sandbox_factory, scenario):
    sb = sandbox_factory(scenario)
    expected = sb.expected
    opts = options(kubeconfig=sb.kubeconfig_path, default_fallback=None)
    diagnosis = run_agent(offline(tutorial["incident-diagnostic"]), incident_prompt(sb.incident), opts)
    out = diagnosis.output
    assert out["severity"] == expected["severity"]
    for keyword in expected["root_cause_keywords"]:
        assert keyword.lower() in out["root_cause"].lower(), (keyword, out["root_cause"])
    assert all(c.action_kind == "read" for c in diagnosis.tool_calls)
    if expected["action"] is None:
        assert out["action"] is None
        assert (
            "no safe automatic action" in out["recommended_action"].lower()
            or "no action" in out["recommended_action"].lower()
        )
        return
    assert {k: out["action"][k] for k in ("verb", "target", "namespace")} == expected["action"]
    assert out["requires_approval"] is (expected["severity"] == "critical")
    fix = run_agent(
        offline(tutorial["incident-remediation"]),
        f"Execute the following remediation:\n\nAction: {out['recommended_action']}\n",
        opts,
    )
    assert fix.output["result"] == "success", fix.output
    assert fix.output["action_taken"].startswith(f"kubectl {expected['action']['verb']} {expected['action']['target']}")
    assert sb.wait_resolved(timeout=10)


def test_kubernetes_tool_path_gives_the_same_diagnosis(tutorial, sandbox):
    opts = options(kubeconfig=sandbox.kubeconfig_path, default_fallback=None)
    result = run_agent(offline(tutorial["incident-diagnostic"], KUBERNETES), incident_prompt(sandbox.incident), opts)
    assert {c.name for c in result.tool_calls} == {"kubernetes"}
    assert result.output["action"] == {"verb": "rollout restart", "target": "deployment/api", "namespace": "production"}


def test_kubectl_missing_translates_shell_calls_to_the_kubernetes_client(tutorial, sandbox, tmp_path):
    opts = options(kubeconfig=sandbox.kubeconfig_path, default_fallback=None, search_path=str(tmp_path))
    result = run_agent(
        offline(tutorial["incident-remediation"]),
        "Execute the following remediation:\n\nAction: kubectl rollout restart deployment/api -n production\n",
        opts,
    )
    assert result.output["result"] == "success"
    restart = next(c for c in result.tool_calls if "restart" in json.dumps(c.input))
    assert restart.snapshot is not None  # the structured tool snapshotted the deployment first
    assert any(a.get("dry_run") for a in sandbox.actions)
    assert sandbox.wait_resolved(timeout=10)


def test_no_kubernetes_tool_means_no_action_and_low_confidence(tutorial):
    result = run_agent(
        offline(tutorial["incident-diagnostic"], tools=None),
        "Incident: api down\nNamespace: production\nResource: deployment/api",
        options(),
    )
    assert result.output["confidence"] <= 0.2 and result.output["action"] is None
    assert result.output["requires_approval"] is True


def test_unknown_resource_is_not_invented(tutorial, sandbox):
    opts = options(kubeconfig=sandbox.kubeconfig_path)
    result = run_agent(
        offline(tutorial["incident-diagnostic"]), "Incident: x\nNamespace: production\nResource: deployment/ghost", opts
    )
    assert result.output["action"] is None and result.output["confidence"] < 0.5
    assert "not found" in result.output["root_cause"]


def test_remediation_refuses_actions_it_does_not_know(tutorial, sandbox):
    opts = options(kubeconfig=sandbox.kubeconfig_path)
    result = run_agent(
        offline(tutorial["incident-remediation"]),
        "Execute the following remediation:\n\nAction: kubectl drain ip-10-0-1-21.ec2.internal\n",
        opts,
    )
    assert result.output["result"] == "failed" and result.output["action_taken"] == "none"
    assert result.tool_calls == []
    assert not [a for a in sandbox.actions if not a.get("dry_run")]


def test_rollback_of_a_restart_is_a_rollout_undo(tutorial, sandbox):
    opts = options(kubeconfig=sandbox.kubeconfig_path)
    run_agent(
        offline(tutorial["incident-remediation"]), "Action: kubectl rollout restart deployment/api -n production", opts
    )
    result = run_agent(
        offline(tutorial["incident-remediation"]),
        "Rollback the failed remediation: kubectl rollout restart deployment/api -n production",
        opts,
    )
    assert result.output["action_taken"].startswith("kubectl rollout undo deployment/api -n production")


def test_post_incident_report_reads_the_incident_files(tutorial, tmp_path):
    for i, (sev, result) in enumerate([("high", "success"), ("critical", "failed")]):
        (tmp_path / f"incident-TEST00{i + 1}.json").write_text(
            json.dumps(
                {
                    "incident_id": f"TEST00{i + 1}",
                    "title": "High memory usage",
                    "severity": sev,
                    "root_cause": "memory leak in SessionCache",
                    "remediation": "kubectl rollout restart deployment/api",
                    "result": result,
                    "duration_seconds": 42,
                    "timestamp": "2026-11-26T17:00:00Z",
                }
            )
        )
    (tmp_path / "unrelated.json").write_text("{}")
    agent = variant(tutorial["post-incident-analyzer"], model="builtin:triage")
    result = run_agent(agent, f"Analyze all incidents from the past 24 hours: {tmp_path}/incident-*.json", options())
    assert result.output == {"text": result.text}
    report = result.text
    assert report.startswith("# Post-incident report")
    for section in (
        "Timeline",
        "Root cause analysis",
        "Contributing factors",
        "Remediation effectiveness",
        "Recommendations",
    ):
        assert f"## {section}" in report
    assert "TEST001" in report and "TEST002" in report and "1 auto-resolved" in report
    assert result.tool_calls[0].ok and result.tool_calls[0].input["command"].startswith("grep -r")
