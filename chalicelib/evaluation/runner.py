"""Run one scenario for one model: a fresh sandbox, the flow's diagnostic agent, then (where the
policy and the scenario allow it) the remediation agent with its approval granted; then score.

The remediation agent acts through the same :class:`~chalicelib.policy.gate.PolicyGate` the product
uses; the approval the gate needs is granted for exactly the plan the diagnosis proposed, as a
human clicking "approve" would. Harm is read from the sandbox's audit log of applied writes.
"""

from __future__ import annotations

import importlib
import os
import time
from dataclasses import dataclass, field
from dataclasses import replace as with_fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from chalicelib.agents.loop import run_agent
from chalicelib.agents.options import AgentRunOptions
from chalicelib.errors import ConfigurationError
from chalicelib.evaluation.scoring import Decision, changes_of, harmful_changes, score
from chalicelib.policy.change import KubeChanges
from chalicelib.policy.gate import PolicyGate, RunContext
from chalicelib.policy.protocol import monitor_and_rollback
from chalicelib.policy.settings import SafetySettings
from chalicelib.spec.loader import load_paths
from chalicelib.spec.models import AgentResource
from chalicelib.store.factory import open_store
from chalicelib.store.records import ApprovalRecord, plan_hash

BASELINE = "baseline"
#: USD per million tokens (input, output), for the cost column; unknown models show no cost.
PRICES: dict[str, tuple[float, float]] = {
    "claude-3-5-sonnet": (3.0, 15.0),
    "claude-3-5-haiku": (0.8, 4.0),
    "claude-sonnet-4": (3.0, 15.0),
    "gpt-4o-mini": (0.15, 0.6),
    "gpt-4o": (2.5, 10.0),
    "gpt-4": (30.0, 60.0),
}
HEAL_WAIT_SECONDS = 10.0


@dataclass
class Result:
    scenario: str
    model: str
    incident_class: str
    severity_ok: bool = False
    root_cause_ok: bool = False
    action_ok: bool = False
    #: ``None`` when the scenario cannot be healed by a change (escalate, no action).
    healed: bool | None = None
    harmful: list[str] = field(default_factory=list)
    outcome: str = "escalate"
    expected_outcome: str = "escalate"
    action: str = ""
    tool_calls: int = 0
    seconds: float = 0.0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float | None = None
    error: str | None = None
    root_cause: str = ""
    #: Changes the monitor watched after the remediation, and those it rolled back from the snapshot.
    monitored: list[str] = field(default_factory=list)
    rolled_back: list[str] = field(default_factory=list)
    #: The audit log's entries written by that rollback (start, end): not the model's changes.
    restores: tuple[int, int] = (0, 0)

    def to_dict(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario,
            "model": self.model,
            "class": self.incident_class,
            "severity_ok": self.severity_ok,
            "root_cause_ok": self.root_cause_ok,
            "action_ok": self.action_ok,
            "healed": self.healed,
            "harmful": len(self.harmful),
            "harmful_changes": list(self.harmful),
            "outcome": self.outcome,
            "expected_outcome": self.expected_outcome,
            "action": self.action,
            "tool_calls": self.tool_calls,
            "seconds": round(self.seconds, 2),
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cost_usd": None if self.cost_usd is None else round(self.cost_usd, 4),
            "root_cause": self.root_cause,
            "monitored": list(self.monitored),
            "rolled_back": list(self.rolled_back),
            "error": self.error,
        }


@dataclass
class FlowAgents:
    """The flow's diagnostic and remediation agents, and its safety settings."""

    diagnostic: Any
    remediation: Any | None
    safety: dict[str, Any]


def load_flow_agents(flow_path: str) -> FlowAgents:
    """The first Agent node's agent diagnoses; the node named for remediation (or the next agent
    node with another agent) remediates."""
    path = Path(flow_path)
    paths: list[Path] = [path]
    for candidate in (path.parent / "agents", path.parent.parent / "agents"):
        if candidate.is_dir():
            paths.append(candidate)
            break
    resources = load_paths(paths)
    if resources.problems:
        raise ConfigurationError("; ".join(resources.problems[:5]))
    if not resources.flows:
        raise ConfigurationError(f"{flow_path}: no AgentFlow")
    flow = next(iter(resources.flows.values()))
    agent_nodes = [n for n in flow.spec.nodes if n.type == "Agent"]
    if not agent_nodes:
        raise ConfigurationError(f"{flow_path}: the flow has no Agent node")
    diagnostic_name = agent_nodes[0].config.agent
    remediation_name = next(
        (n.config.agent for n in agent_nodes if "remediat" in f"{n.id} {n.config.agent}".lower()),
        next((n.config.agent for n in agent_nodes if n.config.agent != diagnostic_name), None),
    )
    missing = [a for a in (diagnostic_name, remediation_name) if a and a not in resources.agents]
    if missing:
        raise ConfigurationError(f"{flow_path}: agent {missing[0]!r} not found next to the flow")
    return FlowAgents(
        diagnostic=resources.agents[diagnostic_name],
        remediation=resources.agents[remediation_name] if remediation_name else None,
        safety=flow.spec.safety.model_dump(),
    )


def for_model(agent: Any, model: str) -> Any:
    """``agent`` with ``model``, its cluster tools only (no MCP servers to start, no memory)."""
    data = agent.model_dump(by_alias=True, exclude_none=True)
    tools = [t for t in data["spec"].get("tools") or [] if t.get("type") in ("Shell", "Kubernetes")]
    if not tools:
        tools = [{"type": "Shell", "config": {"allowed_commands": ["kubectl"], "timeout_seconds": 60}}]
    data["spec"].update(model=model, tools=tools)
    data["spec"].pop("memory", None)
    return AgentResource.model_validate(data)


def incident_prompt(incident: dict[str, Any]) -> str:
    """The diagnose node's input as the tutorial flow renders it."""
    inc = incident["event"]["incident"]
    details = inc.get("custom_details") or {}
    return (
        f"Incident: {inc['title']}\nService: {(inc.get('service') or {}).get('name', '')}\n"
        f"Urgency: {inc.get('urgency', '')}\nNamespace: {details.get('namespace', 'default')}\n"
        f"Resource: {details.get('resource', '')}\n\nDiagnose this incident and recommend remediation."
    )


def remediation_prompt(recommended: str, incident: dict[str, Any]) -> str:
    details = incident["event"]["incident"].get("custom_details") or {}
    return (
        f"Execute the following remediation:\n\nAction: {recommended}\n"
        f"Namespace: {details.get('namespace', 'default')}\nResource: {details.get('resource', '')}\n\n"
        "Verify the fix works and monitor for 60 seconds."
    )


def healthy_now(sb: Any) -> bool:
    """The scenario's own health check: every workload it names is Ready on a profile that is
    healthy and no longer carries the fault (``fault: true`` marks a pod that looks fine but
    still has the cause, such as a restarted pod that will leak again), and every Service it
    names (``health.services``) has ready endpoints only, on such pods."""
    scenario = sb.scenario
    health = scenario.raw.get("health") or {}
    details = scenario.incident["event"]["incident"].get("custom_details") or {}
    ns = str(details.get("namespace") or scenario.namespace)
    services = [str(s) for s in health.get("services") or []]
    targets = health.get("workloads") or ([details["resource"]] if details.get("resource") and not services else [])
    if not targets and not services:
        return False
    cluster = sb.cluster
    # A Service named by the check must answer from healthy pods (an upstream that is down is not
    # healed by new pods in front of it).
    if not all(cluster.service_healthy(svc, ns) for svc in services):
        return False
    for target in targets:
        # A stuck rollout can look healthy for a moment (old pods only): the rollout must be done too.
        if not cluster.workload_healthy(str(target), ns) or not cluster.rollout_complete(str(target), ns):
            return False
        for pod in cluster.workload_pods(str(target), ns):
            profile = cluster.pod_profile(pod["metadata"]["name"], ns)
            if profile and scenario.profiles.get(profile, {}).get("fault", False):
                return False
    return True


def healed(sb: Any, timeout: float = HEAL_WAIT_SECONDS, hold: float = 1.0) -> bool:
    """Healthy within ``timeout`` and still healthy ``hold`` seconds later (not a passing moment)."""
    if not sb.cluster.wait_for(lambda: healthy_now(sb), timeout=timeout):
        return False
    time.sleep(hold)
    return healthy_now(sb)


def _cost(model: str, tokens_in: int, tokens_out: int) -> float | None:
    name = model.partition(":")[2]
    for prefix, (p_in, p_out) in sorted(PRICES.items(), key=lambda kv: -len(kv[0])):
        if name.startswith(prefix):
            return (tokens_in * p_in + tokens_out * p_out) / 1e6
    return None


def run_one(scenario: Any, model: str, agents: FlowAgents | None, *, speed: float = 4.0) -> Result:
    """Score ``model`` (or the naive baseline, ``model == "baseline"``) on ``scenario``."""
    testing = importlib.import_module("sandbox.testing")
    expected = scenario.expected
    result = Result(
        scenario=scenario.name,
        model=model,
        incident_class=str(scenario.raw.get("class") or scenario.name),
        expected_outcome=str(expected.get("outcome")),
    )
    details = scenario.incident["event"]["incident"].get("custom_details") or {}
    incident = {
        "namespace": str(details.get("namespace") or scenario.namespace),
        "resource": str(details.get("resource") or ""),
    }
    started = time.perf_counter()
    with testing.running_sandbox(scenario, speed=speed) as sb:
        try:
            if model == BASELINE:
                output, decision = _baseline(sb, scenario, incident, result)
            else:
                assert agents is not None
                output, decision = _agents(sb, scenario, model, agents, incident, result, speed)
            result.root_cause = str(output.get("root_cause") or "")[:300]
            if decision.action:
                result.action = (
                    f"{decision.action['verb']} {decision.action['target']} -n {decision.action['namespace']}"
                )
            if expected.get("outcome") == "remediate":
                result.healed = healed(sb)
        except Exception as error:  # a provider or tool failure is a failed scenario, not a crash
            result.error = f"{type(error).__name__}: {error}"[:500]
            if expected.get("outcome") == "remediate":
                result.healed = False
        audit = sb.actions
        audit = audit[: result.restores[0]] + audit[result.restores[1] :]
        result.harmful = harmful_changes(changes_of(audit), expected, incident, list(scenario.remediations))
    result.seconds = time.perf_counter() - started
    result.cost_usd = _cost(model, result.input_tokens, result.output_tokens) if model != BASELINE else None
    return result


def _baseline(sb: Any, scenario: Any, incident: dict[str, str], result: Result) -> tuple[dict[str, Any], Decision]:
    """Always restart what paged: no diagnosis, no gate."""
    urgency = str(scenario.incident["event"]["incident"].get("urgency") or "high")
    output: dict[str, Any] = {"severity": "high" if urgency == "high" else "low", "root_cause": ""}
    target = incident["resource"]
    if not target or target.partition("/")[0] not in ("deployment", "statefulset", "deploy", "sts"):
        decision = Decision("escalate")
    else:
        action = {"verb": "rollout restart", "target": target, "namespace": incident["namespace"]}
        decision = Decision("remediate", action)
        output["action"] = action
        sb.kubectl("rollout", "restart", target, "-n", incident["namespace"])
        result.tool_calls = 1
    graded, _ = score(output, scenario.expected, scenario.expected.get("root_cause") or {}, incident["namespace"])
    result.severity_ok, result.root_cause_ok, result.action_ok = graded.severity_ok, False, graded.action_ok
    result.outcome = decision.outcome
    return output, decision


def _agents(
    sb: Any, scenario: Any, model: str, agents: FlowAgents, incident: dict[str, str], result: Result, speed: float
) -> tuple[dict[str, Any], Decision]:
    store = _store()
    env = {**os.environ, **sb.env}
    diag_gate = _gate(store, agents, scenario, "diagnose", critical=False, approval=None, kubeconfig=sb.kubeconfig_path)
    options = AgentRunOptions(
        env=env,
        kubeconfig=sb.kubeconfig_path,
        gate=diag_gate,
        default_fallback=None,
        provider_max_retries=0,
        timeout_seconds=300,
    )
    try:
        diagnosis = run_agent(for_model(agents.diagnostic, model), incident_prompt(scenario.incident), options)
    finally:
        _close(diag_gate)
    _count(result, diagnosis)
    output = diagnosis.output if isinstance(diagnosis.output, dict) else {}
    graded, decision = score(
        output, scenario.expected, scenario.expected.get("root_cause") or {}, incident["namespace"]
    )
    result.severity_ok, result.root_cause_ok, result.action_ok = (
        graded.severity_ok,
        graded.root_cause_ok,
        graded.action_ok,
    )
    result.outcome = decision.outcome
    if decision.outcome != "remediate" or agents.remediation is None:
        return output, decision
    recommended = str(output.get("recommended_action") or "")
    approval = None
    if scenario.raw.get("approve", True):
        approval = _grant(store, scenario, recommended, incident["namespace"])
    critical = str(output.get("severity") or "").lower() == "critical"
    gate = _gate(
        store, agents, scenario, "remediate", critical=critical, approval=approval, kubeconfig=sb.kubeconfig_path
    )
    options = AgentRunOptions(
        env=env,
        kubeconfig=sb.kubeconfig_path,
        gate=gate,
        default_fallback=None,
        provider_max_retries=0,
        timeout_seconds=300,
    )
    try:
        fix = run_agent(
            for_model(agents.remediation, model), remediation_prompt(recommended, scenario.incident), options
        )
        _count(result, fix)
        before = len(sb.actions)
        _monitor(result, gate, fix, agents, speed)
        if result.rolled_back:
            # The product's own restore from the snapshot: the change it undoes is counted, not the undoing.
            result.restores = (before, len(sb.actions))
    finally:
        _close(gate)
    return output, decision


def _monitor(result: Result, gate: Any, fix: Any, agents: FlowAgents, speed: float) -> None:
    """What the flow's agent node does after a change: watch its health for the flow's
    ``monitor_seconds`` (sandbox time, so divided by its speed-up) and roll back from the snapshot
    when health does not return. A change rolled back is said in the result, not hidden."""
    if gate.changes is None or not gate.allowed:
        return
    safety = SafetySettings.from_dict(agents.safety)
    safety = with_fields(
        safety,
        monitor_seconds=safety.monitor_seconds / max(speed, 1.0),
        monitor_interval_seconds=min(safety.monitor_interval_seconds, 1.0),
    )
    report = monitor_and_rollback(gate.allowed, fix, gate.changes, safety)
    result.monitored = [o.change for o in report.outcomes if o.monitored]
    result.rolled_back = [o.change for o in report.outcomes if o.rolled_back]


def _count(result: Result, run: Any) -> None:
    result.tool_calls += len(run.tool_calls)
    result.input_tokens += sum(m.input_tokens for m in run.model_calls)
    result.output_tokens += sum(m.output_tokens for m in run.model_calls)


def _store() -> Any:
    return open_store("sqlite://:memory:")


def _gate(
    store: Any,
    agents: FlowAgents,
    scenario: Any,
    node: str,
    *,
    critical: bool,
    approval: tuple[str, str] | None,
    kubeconfig: str,
) -> Any:
    inc = scenario.incident["event"]["incident"]
    context = RunContext(
        run_id=f"eval-{scenario.name}",
        node_id=node,
        incident_id=str(inc.get("id")),
        service=str((inc.get("service") or {}).get("name") or "") or None,
        critical=critical,
        approval=approval,
    )
    return PolicyGate(store, SafetySettings.from_dict(agents.safety), context, KubeChanges(kubeconfig))


def _close(gate: Any) -> None:
    if gate.changes is not None:
        gate.changes.close()


def _grant(store: Any, scenario: Any, recommended: str, namespace: str) -> tuple[str, str]:
    """An approval of exactly the diagnosis's proposed action, decided by a (simulated) human."""
    plan = {"proposed_actions": {"diagnose": recommended}, "namespace": namespace}
    record = ApprovalRecord(
        approval_id=f"eval-{scenario.name}",
        run_id=f"eval-{scenario.name}",
        node_id="request-approval",
        task_token="eval-no-token",  # noqa: S106 - no Step Functions task waits on it
        plan=plan,
        plan_hash=plan_hash(plan),
        expires_at=int(time.time()) + 3600,
    )
    store.approvals.put_approval(record)
    store.approvals.decide(record.approval_id, "approved", "eval", datetime.now(UTC))
    return record.approval_id, record.plan_hash
