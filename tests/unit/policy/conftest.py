from __future__ import annotations

import io
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from chalicelib.engine.engine import Engine
from chalicelib.engine.invoker import FunctionInvoker
from chalicelib.nodes.agent import handle
from chalicelib.nodes.deps import NodeDeps, deps_from_env
from chalicelib.nodes.models import NodeInput, NodeOutput
from chalicelib.nodes.notify import ConsoleNotifier
from chalicelib.runtime.local import LocalRuntime
from chalicelib.service.run_ports import FlowTable, NoMetrics, pager_from_env
from chalicelib.service.runs import RunService
from chalicelib.spec import load_resources
from chalicelib.spec.models import AgentResource
from chalicelib.store import ApprovalRecord, RunRecord, Store, open_store
from sandbox.testing import Sandbox, sandbox_factory  # noqa: F401 - pytest fixture

REPO = Path(__file__).resolve().parents[3]
FAST = 3.0
#: Short monitor window so the suite stays fast; the product default is 60 s.
SAFETY = {"monitor_seconds": 1.0, "monitor_interval_seconds": 0.2}


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with open_store(f"sqlite:///{tmp_path / 'aof.db'}") as s:
        yield s


def remediation_agent(model: str = "builtin:triage") -> AgentResource:
    """The tutorial's remediation agent, on the given model, with the Kubernetes tool (no npx MCP)."""
    agent = load_resources([REPO / "agents"]).agents["incident-remediation"]
    data = agent.model_dump(by_alias=True, exclude_none=True)
    data["spec"].update(model=model, tools=[{"type": "Kubernetes"}])
    data["spec"].pop("fallback_model", None)
    return AgentResource.model_validate(data)


def shell_agent(model: str) -> AgentResource:
    agent = remediation_agent(model)
    data = agent.model_dump(by_alias=True, exclude_none=True)
    data["spec"]["tools"] = [{"type": "Shell", "config": {"allowed_commands": ["kubectl"], "timeout_seconds": 30}}]
    return AgentResource.model_validate(data)


def state_for(sb: Sandbox, severity: str, approval: tuple[str, str] | None = None) -> dict[str, Any]:
    inc = sb.incident["event"]["incident"]
    action = sb.expected.get("action") or {}
    nodes: dict[str, Any] = {
        "diagnose": {
            "status": "succeeded",
            "output": {
                "severity": severity,
                "recommended_action": f"kubectl {action.get('verb')} {action.get('target')} -n {action.get('namespace')}",
                "requires_approval": severity == "critical",
            },
        }
    }
    if approval:
        nodes["request_approval"] = {
            "status": "succeeded",
            "output": {
                "decision": "approve",
                "approved": True,
                "approval_id": approval[0],
                "reaction": "white_check_mark",
            },
            "meta": {"plan_hash": approval[1]},
        }
    return {"event": {"incident": inc}, "vars": {}, "nodes": nodes, "flow": {"name": "incident-auto-response"}}


def new_run(store: Store, sb: Sandbox, run_id: str = "run-1") -> str:
    inc = sb.incident["event"]["incident"]
    store.runs.create_run(
        RunRecord(run_id=run_id, flow="incident-auto-response", incident_id=inc["id"], status="running")
    )
    return run_id


def approve(store: Store, run_id: str, proposed: str, namespace: str) -> tuple[str, str]:
    """An approval granted on a plan proposing ``proposed`` (as the Slack node stores it)."""
    record = ApprovalRecord(
        approval_id=f"appr-{run_id}",
        run_id=run_id,
        node_id="request-approval",
        task_token="tok",
        plan={"incident": "X", "proposed_actions": {"diagnose": proposed}, "namespace": namespace, "resource": None},
        expires_at=4_000_000_000,
    )
    store.approvals.put_approval(record)
    from datetime import UTC, datetime

    decided = store.approvals.decide(record.approval_id, "approved", "U-ONCALL", datetime.now(UTC))
    return decided.approval_id, decided.plan_hash


def run_node(
    sb: Sandbox,
    store: Store,
    agent: AgentResource,
    prompt: str,
    state: dict[str, Any],
    *,
    run_id: str = "run-1",
    env: dict[str, str] | None = None,
    safety: dict[str, Any] | None = None,
    search_path: str | None = None,
) -> NodeOutput:
    payload = {
        "node": {"id": "remediate", "type": "Agent", "config": {"agent": agent.metadata.name, "input": prompt}},
        "agents": {agent.metadata.name: json.loads(agent.model_dump_json(by_alias=True, exclude_none=True))},
        "flow": {"name": "incident-auto-response"},
        "state": state,
        "context": {"execution_name": run_id},
        "safety": {**SAFETY, **(safety or {})},
    }
    base = {"KUBECONFIG": sb.kubeconfig_path, "PATH": os.environ.get("PATH", "")}
    deps: NodeDeps = deps_from_env(store, {**base, **(env or {})}, out=io.StringIO())
    if search_path is not None:
        # Where the Shell tool looks for programs: an empty directory is a runtime without kubectl.
        deps.agent_options["search_path"] = search_path
    out = handle(NodeInput.model_validate(payload), deps)
    # As the Lambda and the embedded engine do: the run service hears what the node found (and
    # pages a human when the node asks for one).
    run_service(store, deps.env).node_finished(run_id, "remediate", out.payload())
    return out


def run_service(store: Store, env: dict[str, str] | Any = None) -> RunService:
    """The run service over ``store`` (its runtime an idle engine: these runs have no execution)."""
    engine = Engine(Path(tempfile.mkdtemp(prefix="aof-policy-")) / "engine.db", FunctionInvoker(lambda f, p: None))
    return RunService(
        runtime=LocalRuntime(engine),
        store=store,
        notifier=ConsoleNotifier(io.StringIO()),
        pager=pager_from_env(env or {}),
        metrics=NoMetrics(),
        flows=FlowTable({}, {}),
    )


def mutations(sb: Sandbox) -> list[dict[str, Any]]:
    return [a for a in sb.actions if not a.get("dry_run")]
