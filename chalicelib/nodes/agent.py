"""The ``Agent`` node: run an agent on the incident and keep a bounded summary in the state.

Full tool output and the conversation go to the store (artifacts and run events); the state
carries the schema-valid answer plus counts, so executions stay under the 256 KB limit.

Every acting tool call passes the policy gate (``chalicelib.policy``); after the agent answers,
each change it made is monitored for the flow's ``safety.monitor_seconds`` and rolled back from
its snapshot when health does not return, whatever the agent said about it.

The node returns what it found and never waits or pages by itself: when a human is needed its
result says so (``meta.escalate``) and the run service pages; the run service also holds the
flow's ``rate_limit`` acting slot before the node runs (see
:meth:`chalicelib.service.runs.RunService.run_node`).
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from chalicelib.agents.loop import run_agent
from chalicelib.policy.change import KubeChanges
from chalicelib.policy.gate import PolicyGate, RunContext
from chalicelib.policy.protocol import ProtocolReport, apply_to_output, monitor_and_rollback
from chalicelib.policy.settings import SafetySettings

from ..agents.options import AgentRunOptions
from ..agents.schema import derive_schema
from ..errors import RunStopped
from ..expr import parse_template
from ..integrations.kubernetes.target import cluster_reference
from ..policy.change import MONITORED_KINDS
from ..policy.protocol import applied
from ..settings import AOF_MONITOR_SECONDS, resolve
from ..spec.models import AgentResource
from ..store import RunEvent, stop_reason
from .deps import NodeDeps
from .models import NodeInput, NodeOutput
from .reachability import blind_answer, cluster_problem, uses_cluster
from .scope import StateScope
from .slack import incident_id

MAX_OUTPUT_BYTES = 64 * 1024


def handle(event: NodeInput, deps: NodeDeps) -> NodeOutput:

    name = str(event.node.config.get("agent", ""))
    agent = AgentResource.model_validate(event.agents[name])
    scope = StateScope(event.state, env=None, now=deps.clock(), started_at=event.context.started_at or None)
    prompt = parse_template(str(event.node.config.get("input", ""))).render(scope).text
    timeout = event.node.config.get("timeout_seconds")
    # The run's cluster: the incident's custom_details.cluster, the flow's, or the stage's default.
    kubeconfig = cluster_reference(event.state, str(event.flow.get("name") or ""), deps.env)
    extra = event.model_extra or {}
    safety = SafetySettings.from_dict(extra.get("safety") or event.flow.get("safety"))
    override = resolve(AOF_MONITOR_SECONDS, None, deps.env)
    if override:
        # An operator (or the demo) may shorten or lengthen the watch after each change.
        safety = dataclasses.replace(safety, monitor_seconds=float(override))
    changes = KubeChanges(kubeconfig)
    run_id = event.context.run_id
    gate = PolicyGate(
        deps.store, safety, RunContext.from_state(event.state, event.context.run_id, event.node.id), changes
    )
    options = AgentRunOptions(
        env=deps.env,
        kubeconfig=kubeconfig,
        memory=deps.store.memory,
        memory_key=incident_id(event),
        timeout_seconds=float(timeout) if timeout else None,
        **{
            **deps.agent_options,
            "gate": gate,
            "stop_requested": lambda: stop_reason(deps.store, run_id),
            "allowed_hosts": tuple(event.flow.get("allowed_hosts") or ()),
        },
    )
    if uses_cluster(agent):
        problem = cluster_problem(kubeconfig, _namespace_of(event))
        if problem is not None:
            changes.close()
            return _blind(event, deps, agent, problem, gate)
    try:
        result = run_agent(agent, prompt, options)
        # A change already made is watched (and rolled back if health does not return) even when
        # the run was stopped meanwhile: stopping starts nothing new, it does not abandon a change.
        _announce_monitoring(deps, event, gate, result, safety.monitor_seconds)
        report = monitor_and_rollback(gate.allowed, result, changes, safety)
    finally:
        changes.close()
    if result.stopped is not None:
        _record_protocol(deps, event, gate, report)
        _record(deps, event, name, prompt, result.to_dict(), "")
        done = "; ".join(
            o.change + (" rolled back" if o.rolled_back else " kept (healthy)" if o.healthy else " unhealthy")
            for o in report.outcomes
        )
        raise RunStopped(
            f"agent {name} stopped: {result.stopped}" + (f"; changes: {done}" if done else "; no change was made"),
            agent=name,
            changes=[o.to_dict() for o in report.outcomes],
        )
    if isinstance(result.output, dict):
        result.output = apply_to_output(result.output, report, safety.monitor_seconds)
        if gate.denied and not report.outcomes and result.output.get("result") == "success":
            # Everything it tried was refused and nothing changed: "success" is the model's word only.
            refused = "; ".join(d["reason"] for d in gate.denied)[:800]
            result.output = {**result.output, "result": "failed", "verification": f"nothing changed: {refused}"}
    _record_protocol(deps, event, gate, report)
    escalation = None
    if report.failed or (gate.denied and isinstance(result.output, dict) and result.output.get("result") != "success"):
        escalation = _escalation(event, result.output, gate, report)
    details = result.to_dict()
    ref = deps.store.artifacts.put_artifact(
        event.context.run_id, f"{event.node.id}-agent-call.json", json.dumps({"input": prompt, **details}, default=str)
    )
    _record(deps, event, name, prompt, details, ref)
    output: Any = result.output
    if len(json.dumps(output, default=str)) > MAX_OUTPUT_BYTES:
        output = {"text": result.text[:4000], "truncated": True, "ref": ref}
    meta = {
        "agent": name,
        "model": result.model,
        "fallback_used": result.fallback_used,
        "iterations": result.iterations,
        "tool_calls": [
            {"name": t["name"], "ok": t["ok"], "kind": t.get("kind"), "error": t.get("error")}
            for t in details["tool_calls"]
        ][:50],
        "model_calls": details["model_calls"][:20],
        "warnings": result.warnings[:20],
        "ref": ref,
        "policy": {
            "allowed": [a.change.describe() for a in gate.allowed][:20],
            "denied": gate.denied[:20],
            "changes": [o.to_dict() for o in report.outcomes][:20],
        },
    }
    if escalation is not None:
        meta["escalate"] = escalation
    return NodeOutput(status="succeeded", output=output, meta=meta)


def _record(deps: NodeDeps, event: NodeInput, agent: str, prompt: str, details: dict[str, Any], ref: str) -> None:
    if deps.store.runs.get_run(event.context.run_id) is None:
        return
    deps.store.runs.append_event(
        event.context.run_id,
        RunEvent(
            type="AgentCall",
            node_id=event.node.id,
            details={
                "agent": agent,
                "input": prompt[:4000],
                "output": details["output"],
                "tool_calls": details["tool_calls"][:50],
                "model_calls": details["model_calls"][:20],
                "fallback_used": details["fallback_used"],
                "ref": ref,
            },
        ),
    )


def _namespace_of(event: NodeInput) -> str:
    variables = event.state.get("vars") or {}
    incident = (event.state.get("event") or {}).get("incident") or {}
    details = incident.get("custom_details") if isinstance(incident.get("custom_details"), dict) else {}
    return str(variables.get("K8S_NAMESPACE") or (details or {}).get("namespace") or "default")


def _blind(event: NodeInput, deps: NodeDeps, agent: Any, problem: str, gate: PolicyGate) -> NodeOutput:
    """The agent did not run: the cluster cannot be read. Say so; a remediation escalates."""
    output = blind_answer(agent.metadata.name, derive_schema(agent.spec.instructions), problem)
    if deps.store.runs.get_run(event.context.run_id) is not None:
        deps.store.runs.append_event(
            event.context.run_id,
            RunEvent(type="ClusterUnreachable", node_id=event.node.id, details={"problem": problem}),
        )
    meta: dict[str, Any] = {
        "agent": agent.metadata.name,
        "cluster_unreachable": problem,
        "tool_calls": [],
        "policy": {},
    }
    if "action_taken" in output:
        meta["escalate"] = _escalation(event, output, gate, ProtocolReport())
    return NodeOutput(status="succeeded", output=output, meta=meta)


def _announce_monitoring(deps: NodeDeps, event: NodeInput, gate: PolicyGate, result: Any, seconds: float) -> None:
    """Say which changes are about to be watched, and for how long, before the watch starts
    (``aofctl run`` shows it: a stop pressed now lets the watch finish or roll back)."""
    watched = list(
        dict.fromkeys(
            item.change.describe()
            for item in gate.allowed
            if item.change.kind in MONITORED_KINDS and item.change.name and applied(item, result.tool_calls)
        )
    )
    if watched and deps.store.runs.get_run(event.context.run_id) is not None:
        deps.store.runs.append_event(
            event.context.run_id,
            RunEvent(type="ChangeMonitoring", node_id=event.node.id, details={"changes": watched, "seconds": seconds}),
        )


def _record_protocol(deps: NodeDeps, event: NodeInput, gate: PolicyGate, report: ProtocolReport) -> None:
    if deps.store.runs.get_run(event.context.run_id) is None:
        return
    for outcome in report.outcomes:
        kind = "ChangeRolledBack" if outcome.rolled_back else "ChangeMonitored"
        deps.store.runs.append_event(
            event.context.run_id, RunEvent(type=kind, node_id=event.node.id, details=outcome.to_dict())
        )


def _escalation(event: NodeInput, output: Any, gate: PolicyGate, report: ProtocolReport) -> dict[str, Any]:
    """What a human must hear (the run service pages them): the result, what was tried, what was refused."""
    incident = (event.state.get("event") or {}).get("incident") or {}
    tried = [o.change + (" -> rolled back" if o.rolled_back else "") for o in report.outcomes]
    refused = [f"{d['action']}: {d['reason']}" for d in gate.denied]
    lines = [f"AOF automatic remediation did not resolve incident {incident.get('id', '?')}; a human is needed."]
    if isinstance(output, dict):
        lines.append(f"Result: {output.get('result')}. {str(output.get('verification', ''))[:500]}")
    lines += [f"Tried: {t}" for t in tried] + [f"Refused by policy: {r[:300]}" for r in refused]
    return {
        "note": "\n".join(lines),
        "incident_id": str(incident.get("id") or ""),
        "escalation_policy_id": incident.get("escalation_policy_id"),
    }
