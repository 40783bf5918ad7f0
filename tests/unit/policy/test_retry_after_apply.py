"""A remediation step retried after its worker died once the change had gone through.

The retried attempt proposes the same change again. It must not reach the cluster a second time,
yet the step must carry on as if it had made it: the model is told it is done, the change is
monitored, and rolled back from the snapshot taken before it (by the first attempt) when health
does not return. Driven through the Agent node handler against the sandbox cluster.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from chalicelib.agents.tools.kubernetes import KubernetesTool
from chalicelib.policy.change import KubeChanges
from chalicelib.store import Store
from tests.fakes.openai_api import FakeOpenAI, Turn, tool_messages

from .conftest import FAST, mutations, new_run, remediation_agent, run_node, state_for

PROMPT = "Execute the following remediation:\n\nAction: {action}\nNamespace: {ns}\nResource: {res}\n"
RESTART_API = PROMPT.format(
    action="kubectl rollout restart deployment/api -n production", ns="production", res="deployment/api"
)
API_RESTART_CHANGE = "rollout restart deployment/api -n production"
RESTARTED_AT = "kubectl.kubernetes.io/restartedAt"
SUCCESS = (
    '```json\n{"action_taken": "kubectl rollout restart", "result": "success", "verification": "ok", '
    '"rollback_needed": false, "logs": ""}\n```'
)


class WorkerDied(BaseException):
    """The Lambda / engine worker being killed: nothing in the node may catch it."""


def die_during_the_watch(m: pytest.MonkeyPatch) -> None:
    """The worker dies while watching the workload after the change (the 60 s monitor window)."""

    def monitor(self: KubeChanges, *args: Any, **kwargs: Any) -> Any:
        raise WorkerDied("killed while monitoring")

    m.setattr(KubeChanges, "monitor", monitor)


def die_right_after_the_tool(m: pytest.MonkeyPatch) -> None:
    """The worker dies the moment the API accepted the change, before anything else is recorded."""
    real = KubernetesTool.invoke

    def invoke(self: KubernetesTool, name: str, arguments: dict[str, Any]) -> Any:
        outcome = real(self, name, arguments)
        if arguments.get("operation") == "rollout_restart":
            raise WorkerDied("killed after the restart went through")
        return outcome

    m.setattr(KubernetesTool, "invoke", invoke)


def restarts(sb: Any, name: str) -> list[dict[str, Any]]:
    """Restarts of deployment ``name`` that reached the cluster (not dry runs)."""
    found = []
    for a in mutations(sb):
        template = ((a.get("body") or {}).get("spec") or {}).get("template") or {}
        annotations = (template.get("metadata") or {}).get("annotations") or {}
        if a.get("resource") == "deployments" and a.get("name") == name and RESTARTED_AT in annotations:
            found.append(a)
    return found


def events_of(store: Store, run: str, kind: str) -> list[Any]:
    return [e for e in store.runs.events(run) if e.type == kind]


def last_tool_calls(store: Store, run: str) -> list[dict[str, Any]]:
    """The tool calls of the latest agent call in the run's history (what the model got back)."""
    return list(events_of(store, run, "AgentCall")[-1].details["tool_calls"])


def fake_model(script: list[Turn]) -> tuple[FakeOpenAI, dict[str, str]]:
    fake = FakeOpenAI(script)
    return fake, {"OPENAI_API_KEY": "sk-test", "OPENAI_BASE_URL": f"{fake.url}/v1"}


def scripted_remediation(
    sb: Any, store: Store, run: str, env: dict[str, str], prompt: str = RESTART_API, **kw: Any
) -> Any:
    """The remediation agent, on the scripted model ``env`` points at, for run ``run`` (a high incident)."""
    return run_node(
        sb, store, remediation_agent("openai:gpt-4"), prompt, state_for(sb, "high"), run_id=run, env=env, **kw
    )


@pytest.mark.parametrize(
    ("crash", "told"),
    [
        (die_during_the_watch, "was already applied by an earlier attempt of this step at "),
        (die_right_after_the_tool, "was already started by an earlier attempt of this step at "),
    ],
    ids=["worker-died-while-monitoring", "worker-died-right-after-the-api-call"],
)
def test_retried_step_does_not_restart_again_and_resolves(
    sandbox_factory: Any, store: Store, monkeypatch: pytest.MonkeyPatch, crash: Any, told: str
) -> None:
    sb = sandbox_factory("test001-high-memory", speed=FAST)
    run = new_run(store, sb)
    generation = sb.cluster.get("deployments", "api", "production")["metadata"]["generation"]
    # One change per hour for the service: the first attempt spends it; a retry charged again
    # (or judged against the spent budget) would be refused.
    safety = {"max_changes_per_service_per_hour": 1}

    with monkeypatch.context() as m:
        crash(m)
        with pytest.raises(WorkerDied):
            run_node(sb, store, remediation_agent(), RESTART_API, state_for(sb, "high"), run_id=run, safety=safety)
    assert len(restarts(sb, "api")) == 1  # the first attempt's restart did go through

    # The engine runs the same node of the same execution again.
    out = run_node(sb, store, remediation_agent(), RESTART_API, state_for(sb, "high"), run_id=run, safety=safety)

    assert out.status == "succeeded"
    assert out.output["result"] == "success", out.output
    assert sb.wait_resolved(timeout=10)
    # The cluster saw exactly one restart: one annotation write, one generation bump.
    assert len(restarts(sb, "api")) == 1, json.dumps(restarts(sb, "api"))[:800]
    assert sb.cluster.get("deployments", "api", "production")["metadata"]["generation"] == generation + 1
    # The model was answered, not refused: a successful call saying what happened and when.
    restart_calls = [
        c
        for c in last_tool_calls(store, run)
        if c["name"] == "kubernetes" and c["input"]["operation"] == "rollout_restart"
    ]
    assert len(restart_calls) == 1
    assert restart_calls[0]["ok"] is True and restart_calls[0]["refused"] is False
    assert restart_calls[0]["output_summary"].startswith(API_RESTART_CHANGE + " " + told)
    assert "not repeated" in restart_calls[0]["output_summary"]
    # The run's history says so, and nothing was refused or escalated.
    already = events_of(store, run, "ChangeAlreadyApplied")
    assert [e.details["action"] for e in already] == [API_RESTART_CHANGE]
    assert already[0].node_id == "remediate"
    assert events_of(store, run, "PolicyDenied") == []
    assert events_of(store, run, "Escalated") == []
    assert out.meta["policy"]["denied"] == []
    # The change is verified like any other: the retry monitored it and found it healthy.
    assert [(c["change"], c["monitored"], c["healthy"]) for c in out.meta["policy"]["changes"]] == [
        (API_RESTART_CHANGE, True, True)
    ]
    # Charged once for two attempts.
    assert store.budgets.usage("changes:svc:production/deployment/api", 3600) == 1
    assert store.budgets.usage("changes:ns:production", 3600) == 1


def test_retried_change_that_does_not_restore_health_is_rolled_back_to_the_first_snapshot(
    sandbox_factory: Any, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    sb = sandbox_factory("crashloop-bad-config", speed=FAST)
    run = new_run(store, sb)
    before = sb.cluster.get("deployments", "payment-gateway", "payments")["spec"]["template"]
    call = {"operation": "rollout_restart", "kind": "deployment", "name": "payment-gateway", "namespace": "payments"}
    script = [Turn(tool_calls=[("kubernetes", call)]), Turn(text=SUCCESS)]

    fake, env = fake_model(list(script))
    with fake, monkeypatch.context() as m:
        die_during_the_watch(m)
        with pytest.raises(WorkerDied):
            scripted_remediation(sb, store, run, env, prompt="restart it")
    changed = sb.cluster.get("deployments", "payment-gateway", "payments")["spec"]["template"]
    assert RESTARTED_AT in (changed["metadata"].get("annotations") or {})  # the restart went through
    first_snapshot = [e.details["ref"] for e in events_of(store, run, "ChangeSnapshot")]
    assert len(first_snapshot) == 1

    fake, env = fake_model(list(script))
    with fake:
        out = scripted_remediation(sb, store, run, env, prompt="restart it", safety={"monitor_seconds": 1.5})
        answer = tool_messages(fake.requests[1])

    # The model was told the restart had already been made, and no second restart was sent.
    assert len(answer) == 1 and not answer[0]["content"].startswith("ERROR")
    assert "already applied by an earlier attempt of this step" in answer[0]["content"]
    assert len(restarts(sb, "payment-gateway")) == 1
    # The monitor still judged it, and the rollback used the first attempt's snapshot (taken before
    # the restart): the template is the original one again, with no restartedAt left behind.
    assert out.output["result"] == "failed"
    assert "rolled back automatically" in out.output["action_taken"]
    assert "health did not return" in out.output["verification"]
    after = sb.cluster.get("deployments", "payment-gateway", "payments")["spec"]["template"]
    assert after == before
    already = events_of(store, run, "ChangeAlreadyApplied")
    assert len(already) == 1 and already[0].details["snapshot_ref"] == first_snapshot[0]
    assert [e.details["ref"] for e in events_of(store, run, "ChangeSnapshot")] == first_snapshot  # none retaken
    assert len(events_of(store, run, "ChangeRolledBack")) == 1
    assert len(events_of(store, run, "Escalated")) == 1


def test_a_different_change_in_the_retried_attempt_is_judged_normally(
    sandbox_factory: Any, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    sb = sandbox_factory("test001-high-memory", speed=FAST)
    run = new_run(store, sb)
    restart = {"operation": "rollout_restart", "kind": "deployment", "name": "api", "namespace": "production"}
    scale_to_3 = {"operation": "scale", "kind": "deployment", "name": "api", "namespace": "production", "replicas": 3}
    scale_to_5 = {**scale_to_3, "replicas": 5}
    safety = {"max_changes_per_service_per_hour": 2}

    fake, env = fake_model([Turn(tool_calls=[("kubernetes", restart)]), Turn(text=SUCCESS)])
    with fake, monkeypatch.context() as m:
        die_during_the_watch(m)
        with pytest.raises(WorkerDied):
            scripted_remediation(sb, store, run, env, safety=safety)
    allowed_before = len(events_of(store, run, "PolicyAllowed"))

    # The retry repeats the restart, then tries two changes the first attempt never made.
    script = [
        Turn(tool_calls=[("kubernetes", restart)]),
        Turn(tool_calls=[("kubernetes", scale_to_3)]),
        Turn(tool_calls=[("kubernetes", scale_to_5)]),
        Turn(text=SUCCESS),
    ]
    fake, env = fake_model(script)
    with fake:
        out = scripted_remediation(sb, store, run, env, safety=safety)
        answers = [m["content"] for m in tool_messages(fake.requests[-1])]

    assert len(answers) == 3
    assert "already applied by an earlier attempt of this step" in answers[0]
    # The new scale went through the whole gate: snapshot, budget (the second and last use), applied.
    assert not answers[1].startswith("ERROR"), answers[1]
    assert sb.cluster.get("deployments", "api", "production")["spec"]["replicas"] == 3
    new_allowed = events_of(store, run, "PolicyAllowed")[allowed_before:]
    assert [e.details["action"] for e in new_allowed] == ["scale deployment/api --replicas=3 -n production"]
    snapshots = [e.details["change"] for e in events_of(store, run, "ChangeSnapshot")]
    assert snapshots.count("scale deployment/api --replicas=3 -n production") == 1
    assert snapshots.count(API_RESTART_CHANGE) == 1  # only the first attempt's
    # The one after it is refused by the budget, as it would be in any run.
    assert answers[2].startswith("ERROR: PolicyDenied") and "budget" in answers[2]
    assert [d["action"] for d in out.meta["policy"]["denied"]] == ["scale deployment/api --replicas=5 -n production"]
    assert [e.details["action"] for e in events_of(store, run, "ChangeAlreadyApplied")] == [API_RESTART_CHANGE]
    # On the cluster: one restart, one scale (to 3), nothing to 5.
    assert len(restarts(sb, "api")) == 1
    scales = [
        a for a in mutations(sb) if a.get("name") == "api" and "replicas" in ((a.get("body") or {}).get("spec") or {})
    ]
    assert [a["body"]["spec"]["replicas"] for a in scales] == [3], json.dumps(scales)[:800]


def test_a_change_another_attempt_still_holds_is_refused(
    sandbox_factory: Any, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    sb = sandbox_factory("test001-high-memory", speed=FAST)
    run = new_run(store, sb)

    def die(*args: Any, **kwargs: Any) -> Any:
        raise WorkerDied("killed between claiming the change and making it")

    with monkeypatch.context() as m:
        m.setattr(store.idempotency, "complete", die)
        with pytest.raises(WorkerDied):
            run_node(sb, store, remediation_agent(), RESTART_API, state_for(sb, "high"), run_id=run)

    # The claim is still held (by an attempt that may yet act): the retry must not act, nor say it did.
    out = run_node(sb, store, remediation_agent(), RESTART_API, state_for(sb, "high"), run_id=run)
    assert out.output["result"] == "failed"
    assert "being applied by another attempt" in out.meta["policy"]["denied"][0]["reason"]
    assert restarts(sb, "api") == []
    assert events_of(store, run, "ChangeAlreadyApplied") == []
    assert len(events_of(store, run, "Escalated")) == 1


def test_repeating_a_change_within_one_attempt_is_answered_not_repeated(sandbox_factory: Any, store: Store) -> None:
    sb = sandbox_factory("test001-high-memory", speed=FAST)
    run = new_run(store, sb)
    restart = {"operation": "rollout_restart", "kind": "deployment", "name": "api", "namespace": "production"}
    fake, env = fake_model(
        [Turn(tool_calls=[("kubernetes", restart)]), Turn(tool_calls=[("kubernetes", restart)]), Turn(text=SUCCESS)]
    )
    with fake:
        out = scripted_remediation(sb, store, run, env)
        answers = [m["content"] for m in tool_messages(fake.requests[-1])]
    assert len(answers) == 2
    assert not answers[0].startswith("ERROR") and "restarted" in answers[0]
    assert answers[1].startswith(API_RESTART_CHANGE + " was already applied earlier in this step at ")
    assert len(restarts(sb, "api")) == 1
    assert out.output["result"] == "success"
    assert out.meta["policy"]["denied"] == []
    assert [c["change"] for c in out.meta["policy"]["changes"]] == [API_RESTART_CHANGE]
