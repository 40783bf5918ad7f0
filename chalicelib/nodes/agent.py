"""The ``Agent`` node: run an agent on the incident and keep a bounded summary in the state.

Full tool output and the conversation go to the store (artifacts and run events); the state
carries the schema-valid answer plus counts, so executions stay under the 256 KB limit.
"""

from __future__ import annotations

import json
from typing import Any

from ..expr import parse_template
from ..settings import KUBECONFIG, resolve
from ..store import RunEvent
from .deps import NodeDeps
from .models import NodeInput, NodeOutput
from .scope import StateScope
from .slack import incident_id

MAX_OUTPUT_BYTES = 64 * 1024


def handle(event: NodeInput, deps: NodeDeps) -> NodeOutput:
    from ..agents import run_agent
    from ..agents.types import AgentRunOptions
    from ..spec.models import AgentResource

    name = str(event.node.config.get("agent", ""))
    agent = AgentResource.model_validate(event.agents[name])
    scope = StateScope(event.state, env=None, now=deps.clock(), started_at=event.context.started_at or None)
    prompt = parse_template(str(event.node.config.get("input", ""))).render(scope).text
    timeout = event.node.config.get("timeout_seconds")
    options = AgentRunOptions(
        env=deps.env,
        kubeconfig=resolve(KUBECONFIG, None, deps.env),
        memory=deps.store.memory,
        memory_key=incident_id(event),
        timeout_seconds=float(timeout) if timeout else None,
        **deps.agent_options,
    )
    result = run_agent(agent, prompt, options)
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
    }
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
