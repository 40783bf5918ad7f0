"""The change protocol and the policy on the sandbox cluster, through the Agent node handler."""

from __future__ import annotations

import json
from typing import Any

import pytest

from chalicelib.errors import RunStopped
from chalicelib.store import Store
from chalicelib.webhooks.incident import Incident, IncidentEvent, ServiceRef
from tests.fakes.openai_api import FakeOpenAI, Turn

from .conftest import (
    FAST,
    approve,
    mutations,
    new_run,
    remediation_agent,
    run_node,
    run_service,
    shell_agent,
    state_for,
)

PROMPT = "Execute the following remediation:\n\nAction: {action}\nNamespace: {ns}\nResource: {res}\n"


def test_test001_restart_is_applied_monitored_and_resolves(sandbox_factory: Any, store: Store) -> None:
    sb = sandbox_factory("test001-high-memory", speed=FAST)
    run = new_run(store, sb)
    prompt = PROMPT.format(
        action="kubectl rollout restart deployment/api -n production", ns="production", res="deployment/api"
    )
    out = run_node(sb, store, remediation_agent(), prompt, state_for(sb, "high"), run_id=run)
    assert out.output["result"] == "success", out.output
    assert sb.wait_resolved(timeout=10)
    assert [c["healthy"] for c in out.meta["policy"]["changes"]] == [True]
    # dry run before the change, and the snapshot in the run's history
    dry = [a for a in sb.actions if a.get("dry_run")]
    assert dry and sb.actions.index(dry[0]) < sb.actions.index(mutations(sb)[0])
    kinds = [e.type for e in store.runs.events(run)]
    assert "ChangeSnapshot" in kinds and "PolicyAllowed" in kinds and "ChangeMonitored" in kinds


def test_test002_needs_approval_then_only_the_approved_action_runs(sandbox_factory: Any, store: Store) -> None:
    sb = sandbox_factory("test002-postgres-down", speed=FAST)
    run = new_run(store, sb)
    restart = "kubectl rollout restart statefulset/postgres -n production"
    prompt = PROMPT.format(action=restart, ns="production", res="statefulset/postgres")
    # Critical and not approved: the write is refused, nothing reaches the cluster.
    refused = run_node(sb, store, remediation_agent(), prompt, state_for(sb, "critical"), run_id=run)
    assert refused.output["result"] == "failed"
    assert "needs a human approval" in refused.meta["policy"]["denied"][0]["reason"]
    assert mutations(sb) == []
    # Approved: exactly that restart runs and postgres comes back.
    approval = approve(store, run, restart, "production")
    done = run_node(sb, store, remediation_agent(), prompt, state_for(sb, "critical", approval), run_id=run)
    assert done.output["result"] == "success", done.output
    assert sb.wait_resolved(timeout=10)
    # The model then proposes something destructive under the same approval: refused.
    script = [
        Turn(tool_calls=[("shell", {"command": "kubectl delete pvc data-postgres-0 -n production"})]),
        Turn(tool_calls=[("shell", {"command": "kubectl delete statefulset postgres -n production"})]),
        Turn(
            text='```json\n{"action_taken": "deleted", "result": "success", "verification": "ok", '
            '"rollback_needed": false, "logs": ""}\n```'
        ),
    ]
    with FakeOpenAI(script) as fake:
        env = {"OPENAI_API_KEY": "sk-test", "OPENAI_BASE_URL": f"{fake.url}/v1"}
        rogue = run_node(
            sb, store, shell_agent("openai:gpt-4"), prompt, state_for(sb, "critical", approval), run_id=run, env=env
        )
    reasons = [d["reason"] for d in rogue.meta["policy"]["denied"]]
    assert len(reasons) == 2 and all("not the approved plan" in r for r in reasons), reasons
    assert not [a for a in mutations(sb) if a.get("verb") == "delete" or a.get("method") == "DELETE"]


def test_fix_that_does_not_restore_health_is_rolled_back_and_escalated(sandbox_factory: Any, store: Store) -> None:
    sb = sandbox_factory("crashloop-bad-config", speed=FAST)
    run = new_run(store, sb)
    before = sb.cluster.get("deployments", "payment-gateway", "payments")["spec"]["template"]
    call = {"operation": "rollout_restart", "kind": "deployment", "name": "payment-gateway", "namespace": "payments"}
    # The model restarts (the wrong fix) and claims success; the monitor decides.
    script = [
        Turn(tool_calls=[("kubernetes", call)]),
        Turn(
            text='```json\n{"action_taken": "kubectl rollout restart deployment/payment-gateway -n payments", '
            '"result": "success", "verification": "looks fine", "rollback_needed": false, "logs": ""}\n```'
        ),
    ]
    with FakeOpenAI(script) as fake:
        env = {"OPENAI_API_KEY": "sk-test", "OPENAI_BASE_URL": f"{fake.url}/v1"}
        out = run_node(
            sb,
            store,
            remediation_agent("openai:gpt-4"),
            "restart it",
            state_for(sb, "high"),
            run_id=run,
            env=env,
            safety={"monitor_seconds": 1.5},
        )
    assert out.output["result"] == "failed"
    assert "rolled back automatically" in out.output["action_taken"]
    assert "health did not return" in out.output["verification"]
    after = sb.cluster.get("deployments", "payment-gateway", "payments")["spec"]["template"]
    assert after == before  # the template is the snapshot's again (no restartedAt left behind)
    events = {e.type: e.details for e in store.runs.events(run)}
    assert "ChangeRolledBack" in events and "Escalated" in events
    assert "rolled back" in events["Escalated"]["note"]


def test_human_acknowledging_mid_run_stops_the_automation(sandbox_factory: Any, store: Store) -> None:
    sb = sandbox_factory("test001-high-memory", speed=FAST)
    run = new_run(store, sb)
    incident = sb.incident["event"]["incident"]
    ack = IncidentEvent(
        event_id="ev-ack",
        event_type="incident.acknowledged",
        incident=Incident(
            id=incident["id"],
            title=incident["title"],
            service=ServiceRef(name="api", id="P1"),
            urgency="high",
            html_url=incident["html_url"],
        ),
    )
    assert run_service(store).on_incident_update(ack) == [run]
    prompt = PROMPT.format(
        action="kubectl rollout restart deployment/api -n production", ns="production", res="deployment/api"
    )
    # The agent does not even start: it asks whether the run was stopped before every call.
    with pytest.raises(RunStopped, match="took the incident over") as stopped_run:
        run_node(sb, store, remediation_agent(), prompt, state_for(sb, "high"), run_id=run)
    assert "no change was made" in stopped_run.value.message
    assert mutations(sb) == []
    calls = [e.details for e in store.runs.events(run) if e.type == "AgentCall"]
    assert calls and calls[0]["tool_calls"] == []


def test_budget_per_service_escalates_instead_of_acting(sandbox_factory: Any, store: Store) -> None:
    sb = sandbox_factory("test001-high-memory", speed=FAST)
    prompt = PROMPT.format(
        action="kubectl rollout restart deployment/api -n production", ns="production", res="deployment/api"
    )
    results = []
    for i in range(3):  # three incidents in a row on the same service, budget 2 per hour
        run = new_run(store, sb, run_id=f"run-{i}")
        out = run_node(
            sb,
            store,
            remediation_agent(),
            prompt,
            state_for(sb, "high"),
            run_id=run,
            safety={"max_changes_per_service_per_hour": 2, "monitor_seconds": 0.2},
        )
        results.append(out)
    assert [r.output["result"] for r in results[:2]] == ["success", "success"]
    assert results[2].output["result"] == "failed"
    assert "budget" in results[2].meta["policy"]["denied"][0]["reason"]
    restarts = [a for a in mutations(sb) if a.get("resource") == "deployments"]
    assert len(restarts) == 2, json.dumps(restarts)[:500]
