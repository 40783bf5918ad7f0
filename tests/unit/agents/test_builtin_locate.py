"""``builtin:triage`` with a prompt that names no namespace: it finds where the trouble is.

The tutorial's runbook flow (examples/production/incident-response-with-runbook.yaml, node
diagnose-with-runbook) prompts only the incident title and the runbook's steps. The offline model
then lists the pods of every namespace, as an SRE would, and diagnoses the workload of the worst
one outside the system namespaces.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml

from chalicelib.agents.gate import ReadOnlyGate
from chalicelib.agents.loop import run_agent
from chalicelib.agents.providers.builtin.triage import NAMESPACE_RE, named_scope
from chalicelib.agents.tools.kubernetes import KubernetesConfig, KubernetesTool
from chalicelib.agents.tools.shell import ShellConfig, ShellTool
from chalicelib.agents.types import Message, ModelRequest
from chalicelib.errors import ToolRefused
from chalicelib.integrations.kubernetes import kubectl_to_operation
from chalicelib.policy.classify import assess
from chalicelib.policy.settings import SafetySettings
from sandbox.scenarios import SCENARIO_DIR, parse_scenario
from tests.unit.agents.conftest import KUBERNETES, SHELL_KUBECTL, options, variant

CHANNELS = [pytest.param(SHELL_KUBECTL, id="shell-kubectl"), pytest.param(KUBERNETES, id="kubernetes-tool")]


def runbook_prompt(title: str) -> str:
    """The diagnose-with-runbook node's input: no namespace, no resource."""
    return (
        f"Incident: {title}\n"
        "Runbook Steps: Check the status and restarts of the service's pods; read the logs of the failing "
        "ones; restart the workload when it is wedged or leaking memory.\n\n"
        "Follow runbook for diagnosis."
    )


def offline(tutorial: dict[str, Any], tools: dict[str, Any]) -> Any:
    return variant(tutorial["incident-diagnostic"], model="builtin:triage", tools=[tools])


def cluster_wide(call: Any) -> bool:
    return call.input.get("all_namespaces") is True or " -A " in f" {call.input.get('command', '')} "


def namespaces_read(calls: list[Any]) -> set[str]:
    """The namespaces the namespaced calls looked at (``-n X`` or ``namespace: X``)."""
    found = set()
    for c in calls:
        if "command" in c.input:
            argv = c.input["command"].split()
            if "-n" in argv:
                found.add(argv[argv.index("-n") + 1])
        elif "namespace" in c.input:
            found.add(c.input["namespace"])
    return found


def scenario_with(base: str, **changes: Any) -> Any:
    """A shipped scenario with extra workloads/profiles (``add_workloads``, ``add_profiles``) or fields."""
    doc = yaml.safe_load((SCENARIO_DIR / f"{base}.yaml").read_text())
    doc["workloads"] += changes.pop("add_workloads", [])
    doc["profiles"].update(changes.pop("add_profiles", {}))
    doc.update(changes)
    return parse_scenario(doc)


@pytest.mark.parametrize("tools", CHANNELS)
@pytest.mark.parametrize("scenario", ["test001-high-memory", "test002-postgres-down"])
def test_runbook_prompt_without_namespace_diagnoses_the_broken_workload(tutorial, sandbox_factory, scenario, tools):
    sb = sandbox_factory(scenario, speed=3.0)
    expected = sb.expected
    opts = options(kubeconfig=sb.kubeconfig_path, default_fallback=None, gate=ReadOnlyGate())
    result = run_agent(offline(tutorial, tools), runbook_prompt(sb.incident["event"]["incident"]["title"]), opts)
    out = result.output

    action = expected["action"]
    assert action["namespace"] == "production"
    assert {k: out["action"][k] for k in ("verb", "target", "namespace")} == action
    assert out["recommended_action"].startswith(f"kubectl {action['verb']} {action['target']} -n production")
    assert out["severity"] == expected["severity"]
    for keyword in expected["root_cause_keywords"]:
        assert keyword.lower() in out["root_cause"].lower(), (keyword, out["root_cause"])
    # First the pods of every namespace, then only production; every call a read (read-only gate).
    assert cluster_wide(result.tool_calls[0]) and result.tool_calls[0].ok
    assert namespaces_read(result.tool_calls[1:]) == {"production"}
    assert all(c.action_kind == "read" and c.ok for c in result.tool_calls)
    assert not [a for a in sb.actions if not a.get("dry_run")], "a diagnosis changes nothing"


def test_the_diagnosis_found_without_namespace_resolves_the_incident(tutorial, sandbox_factory):
    sb = sandbox_factory("test001-high-memory", speed=3.0)
    opts = options(kubeconfig=sb.kubeconfig_path, default_fallback=None)
    diagnosis = run_agent(offline(tutorial, SHELL_KUBECTL), runbook_prompt("High memory usage on api deployment"), opts)
    remediation = variant(tutorial["incident-remediation"], model="builtin:triage", tools=[SHELL_KUBECTL])
    fix = run_agent(
        remediation, f"Execute the following remediation:\n\nAction: {diagnosis.output['recommended_action']}\n", opts
    )
    assert fix.output["result"] == "success", fix.output
    assert fix.output["action_taken"].startswith("kubectl rollout restart deployment/api -n production")
    assert sb.wait_resolved(timeout=10)


CRASHING_DNS = {
    "kind": "Deployment",
    "name": "coredns",
    "namespace": "kube-system",
    "replicas": 2,
    "labels": {"k8s-app": "kube-dns"},
    "containers": [{"name": "coredns", "image": "registry.k8s.io/coredns/coredns:v1.11.1"}],
    "pods": [{"profile": "dns-crashing"}],
}
DNS_CRASHING_PROFILE = {
    "dns-crashing": {
        "status": "CrashLoopBackOff",
        "healthy": False,
        "restarts": 90,
        "exit_code": 1,
        "logs": '[FATAL] plugin/loop: Loop detected for zone "."\n',
    }
}


@pytest.mark.parametrize("tools", CHANNELS)
def test_system_namespaces_are_not_the_incident_even_when_worse(tutorial, sandbox_factory, tools):
    sb = sandbox_factory(
        scenario_with("test001-high-memory", add_workloads=[CRASHING_DNS], add_profiles=DNS_CRASHING_PROFILE),
        speed=3.0,
    )
    worst = max(sb.cluster.pod_summary(namespace="kube-system"), key=lambda p: p["restarts"])
    assert worst["status"] == "CrashLoopBackOff" and worst["restarts"] >= 90  # worse than any api pod
    opts = options(kubeconfig=sb.kubeconfig_path, default_fallback=None)
    result = run_agent(offline(tutorial, tools), runbook_prompt("High memory usage on api deployment"), opts)
    assert result.output["action"] == {"verb": "rollout restart", "target": "deployment/api", "namespace": "production"}
    assert namespaces_read(result.tool_calls[1:]) == {"production"}


def test_nothing_troubled_anywhere_keeps_looking_in_default(tutorial, sandbox_factory):
    sb = sandbox_factory("false-alarm", speed=3.0)
    opts = options(kubeconfig=sb.kubeconfig_path, default_fallback=None)
    result = run_agent(offline(tutorial, SHELL_KUBECTL), runbook_prompt("Checkout latency alert"), opts)
    assert cluster_wide(result.tool_calls[0])
    assert namespaces_read(result.tool_calls[1:]) == {"default"}
    assert result.output["action"] is None and result.output["requires_approval"] is True


def _twin_outage() -> Any:
    """Two workloads in two namespaces, equally broken (image pull, no restarts that could tick)."""
    broken = {"status": "ImagePullBackOff", "healthy": False, "message": 'Back-off pulling image "${image}"'}

    def workload(name: str, namespace: str) -> dict[str, Any]:
        return {
            "kind": "Deployment",
            "name": name,
            "namespace": namespace,
            "replicas": 1,
            "containers": [{"name": name, "image": f"registry.example.com/{name}:9.9.9"}],
            "pods": [{"profile": "broken"}],
        }

    doc = yaml.safe_load((SCENARIO_DIR / "false-alarm.yaml").read_text())
    doc.update(
        profiles={"broken": broken},
        workloads=[workload("orders", "shop"), workload("billing", "finance")],
        services=[],
        events=[],
    )
    return parse_scenario(doc)


@pytest.mark.parametrize(
    ("title", "namespace", "target"),
    [
        ("Billing service unavailable", "finance", "deployment/billing"),
        ("Orders API returns 503", "shop", "deployment/orders"),
    ],
)
def test_the_incident_title_breaks_a_tie(tutorial, sandbox_factory, title, namespace, target):
    sb = sandbox_factory(_twin_outage(), speed=3.0)
    opts = options(kubeconfig=sb.kubeconfig_path, default_fallback=None)
    result = run_agent(offline(tutorial, KUBERNETES), runbook_prompt(title), opts)
    assert namespaces_read(result.tool_calls[1:]) == {namespace}
    assert target in result.output["root_cause"] and "ImagePullBackOff" in result.output["root_cause"]


def test_a_named_resource_without_namespace_is_looked_up_where_it_runs(tutorial, sandbox_factory):
    sb = sandbox_factory("test001-high-memory", speed=3.0)
    opts = options(kubeconfig=sb.kubeconfig_path, default_fallback=None)
    prompt = "Incident: api pods restarting\nResource: deployment/api\n\nDiagnose this incident."
    result = run_agent(offline(tutorial, SHELL_KUBECTL), prompt, opts)
    assert result.output["action"] == {"verb": "rollout restart", "target": "deployment/api", "namespace": "production"}


def test_a_named_namespace_is_used_as_is(tutorial, sandbox_factory):
    sb = sandbox_factory("test001-high-memory", speed=3.0)
    opts = options(kubeconfig=sb.kubeconfig_path, default_fallback=None)
    prompt = "Incident: api pods restarting\nNamespace: production\n\nDiagnose this incident."
    result = run_agent(offline(tutorial, SHELL_KUBECTL), prompt, opts)
    assert not any(cluster_wide(c) for c in result.tool_calls)
    assert result.output["action"]["target"] == "deployment/api"


# --- the pieces: the structured tool's all_namespaces, its kubectl translation, classification --------


def test_the_kubernetes_tool_reads_every_namespace(sandbox_factory):
    sb = sandbox_factory(
        scenario_with("test001-high-memory", add_workloads=[CRASHING_DNS], add_profiles=DNS_CRASHING_PROFILE),
        speed=3.0,
    )
    tool = KubernetesTool(KubernetesConfig(kubeconfig=sb.kubeconfig_path))
    try:
        pods = json.loads(
            tool.invoke("kubernetes", {"operation": "get", "kind": "pods", "all_namespaces": True}).output
        )
        assert {p["metadata"]["namespace"] for p in pods["items"]} == {"production", "kube-system"}
        events = tool.invoke("kubernetes", {"operation": "events", "all_namespaces": True})
        assert {e["metadata"]["namespace"] for e in json.loads(events.output)["items"]} >= {"production", "default"}
        top = json.loads(tool.invoke("kubernetes", {"operation": "top", "all_namespaces": True}).output)
        assert {m["metadata"]["namespace"] for m in top["items"]} == {"production", "kube-system"}
        named = tool.invoke("kubernetes", {"operation": "get", "kind": "pods", "name": "x", "all_namespaces": True})
        assert not named.ok and "by name across all namespaces" in (named.error or "")
    finally:
        tool.close()


def test_kubectl_all_namespaces_translates_to_the_structured_read():
    every = {"operation": "get", "kind": "pods", "all_namespaces": True}
    assert kubectl_to_operation(["get", "pods", "-A", "-o", "json"]) == every
    assert kubectl_to_operation(["get", "pods", "--all-namespaces"]) == every
    assert kubectl_to_operation(["get", "pods", "--all-namespaces=true", "-n", "production"]) == every
    assert kubectl_to_operation(["get", "events", "-A"]) == {"operation": "events", "all_namespaces": True}
    assert kubectl_to_operation(["top", "pods", "-A"]) == {"operation": "top", "kind": "pods", "all_namespaces": True}
    assert kubectl_to_operation(["get", "pods", "-n", "production"])["namespace"] == "production"


def test_the_cluster_wide_list_is_a_read_for_the_tools_and_the_policy():
    shell = ShellTool(ShellConfig(allowed_commands=["kubectl"]))
    kube = KubernetesTool(KubernetesConfig())
    actions = [
        shell.classify("shell", {"command": "kubectl get pods -A -o json"}),
        kube.classify("kubernetes", {"operation": "get", "kind": "pods", "all_namespaces": True}),
    ]
    for action in actions:
        assert action.kind == "read"
        assert assess(action, SafetySettings()).kind == "read"


def test_a_kubernetes_tool_limited_to_namespaces_refuses_all_namespaces():
    kube = KubernetesTool(KubernetesConfig(namespaces=["production"]))
    with pytest.raises(ToolRefused, match="outside this tool's namespaces"):
        kube.classify("kubernetes", {"operation": "get", "kind": "pods", "all_namespaces": True})
    with pytest.raises(ToolRefused, match="get, events and top"):
        KubernetesTool(KubernetesConfig()).classify(
            "kubernetes", {"operation": "rollout_restart", "kind": "deployment", "name": "api", "all_namespaces": True}
        )


def _scope(prompt: str) -> tuple[str | None, str | None]:
    from chalicelib.agents.providers.builtin.transcript import Transcript

    request = ModelRequest(
        system="", messages=[Message(role="user", content=[{"type": "text", "text": prompt}])], tools=[]
    )
    return named_scope(Transcript(request))


def test_only_real_namespace_mentions_count():
    assert _scope(runbook_prompt("High memory usage on api deployment")) == (None, None)
    # "-n" inside a word is not the -n flag; an empty "Namespace:" line names none.
    assert _scope("Incident: multi-node outage\nRunbook Steps: check cross-namespace traffic") == (None, None)
    assert _scope("Incident: api down\nNamespace: \nResource: deployment/api") == (None, "deployment/api")
    assert _scope("Run kubectl get pods -n production") == ("production", None)
    assert _scope("Run kubectl get pods -nproduction") == ("production", None)
    assert _scope("Incident: x\nNamespace: payments\n") == ("payments", None)
    assert NAMESPACE_RE.search("kubectl rollout restart deployment/api --namespace=web").group(1) == "web"
