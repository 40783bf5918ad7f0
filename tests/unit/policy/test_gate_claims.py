"""The gate's idempotency claim across attempts of one step, without a cluster.

A stand-in for the cluster side records every dry run; the store is the real SQLite one.
"""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.agents.tools.base import ToolOutcome
from chalicelib.agents.types import Action
from chalicelib.errors import PolicyDenied
from chalicelib.policy.change import Preflight
from chalicelib.policy.classify import Change
from chalicelib.policy.effect import RESTART_ANNOTATION as RESTARTED_AT
from chalicelib.policy.effect import Observation
from chalicelib.policy.gate import PolicyGate, RunContext
from chalicelib.policy.settings import SafetySettings
from chalicelib.store import RunRecord, Store

RESTART = Action(
    kind="write",
    verb="rollout restart",
    tool="kubernetes",
    target="deployment/api",
    namespace="production",
    params={"operation": "rollout_restart", "kind": "deployment", "name": "api", "namespace": "production"},
)
CHANGE = "rollout restart deployment/api -n production"


class Cluster:
    """Dry runs pass; the snapshot is the workload as it is now (``revision`` goes up per change)."""

    def __init__(self) -> None:
        self.revision = 1
        self.dry_runs = 0

    def preflight(self, action: Action, changes: tuple[Change, ...]) -> Preflight:
        self.dry_runs += 1
        live = {"kind": "Deployment", "metadata": {"name": changes[0].name}, "revision": self.revision}
        # What a restart's dry run shows: the pod template gains the restartedAt annotation.
        restarted = {**live, "spec": {"template": {"metadata": {"annotations": {RESTARTED_AT: "now"}}}}}
        return Preflight(live, "passed", [Observation(live, restarted)])


class WorkerDied(BaseException):
    pass


@pytest.fixture
def run(store: Store) -> str:
    store.runs.create_run(RunRecord(run_id="run-1", flow="f", incident_id="INC-1", status="running"))
    return "run-1"


def attempt(store: Store, cluster: Cluster, **safety: Any) -> PolicyGate:
    """One attempt of the ``remediate`` step: a new gate, as a re-run node builds."""
    context = RunContext(run_id="run-1", node_id="remediate", incident_id="INC-1", service="api")
    return PolicyGate(store, SafetySettings.from_dict(safety), context, cluster)  # type: ignore[arg-type]


def apply(gate: PolicyGate, cluster: Cluster, action: Action = RESTART, *, ok: bool = True) -> None:
    """What the agent loop does with an allowed call: run the tool, tell the gate how it went."""
    assert gate.check(action) is None
    if ok:
        cluster.revision += 1
    gate.record_outcome(
        action,
        ToolOutcome(output="deployment.apps/api restarted" if ok else "", ok=ok, error=None if ok else "API 500"),
    )


def kinds(store: Store, run: str) -> list[str]:
    return [e.type for e in store.runs.events(run)]


def test_an_applied_change_is_answered_with_its_recorded_result_and_first_snapshot(store: Store, run: str) -> None:
    cluster = Cluster()
    first = attempt(store, cluster)
    apply(first, cluster)

    retry = attempt(store, cluster)
    answer = retry.check(RESTART)

    assert answer is not None and answer.ok
    assert answer.output.startswith(f"{CHANGE} was already applied by an earlier attempt of this step at ")
    assert "deployment.apps/api restarted" in answer.output  # the recorded result
    assert cluster.dry_runs == 1  # no second dry run or snapshot
    assert [a.snapshot for a in retry.allowed] == [first.allowed[0].snapshot]
    assert retry.allowed[0].snapshot == {"kind": "Deployment", "metadata": {"name": "api"}, "revision": 1}
    assert kinds(store, run).count("ChangeAlreadyApplied") == 1


def test_a_change_whose_earlier_try_failed_stays_refused(store: Store, run: str) -> None:
    cluster = Cluster()
    apply(attempt(store, cluster), cluster, ok=False)

    retry = attempt(store, cluster)
    with pytest.raises(PolicyDenied) as refused:
        retry.check(RESTART)
    assert "was tried by an earlier attempt of this step" in refused.value.message
    assert "API 500" in refused.value.message and "not repeated automatically" in refused.value.message
    assert retry.allowed == [] and "ChangeAlreadyApplied" not in kinds(store, run)


def test_a_claim_recorded_before_claims_kept_their_snapshot_finds_the_first_snapshot(store: Store, run: str) -> None:
    cluster = Cluster()
    first = attempt(store, cluster)
    apply(first, cluster)
    key = first.allowed[0].key
    # What the gate used to record: no snapshot reference, no outcome.
    store.idempotency.complete(key, {"change": CHANGE, "run_id": run})

    retry = attempt(store, cluster)
    answer = retry.check(RESTART)

    assert answer is not None and answer.ok and "already started by an earlier attempt" in answer.output
    assert retry.allowed[0].snapshot == first.allowed[0].snapshot  # revision 1: before the change
    assert cluster.dry_runs == 1


def test_a_full_budget_that_already_counts_this_change_does_not_refuse_it(
    store: Store, run: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    cluster = Cluster()
    first = attempt(store, cluster, max_changes_per_service_per_hour=1)

    def die(*args: Any, **kwargs: Any) -> Any:
        raise WorkerDied("killed after spending the budget, before claiming the change")

    with monkeypatch.context() as m:
        m.setattr(store.idempotency, "begin", die)
        with pytest.raises(WorkerDied):
            first.check(RESTART)
    assert store.budgets.usage("changes:svc:production/deployment/api", 3600) == 1

    retry = attempt(store, cluster, max_changes_per_service_per_hour=1)
    assert retry.check(RESTART) is None  # allowed: the one use is this very change's
    assert store.budgets.usage("changes:svc:production/deployment/api", 3600) == 1
    # A different change on the same service is still refused by the spent budget.
    scale = Action(
        kind="write",
        verb="scale",
        tool="kubernetes",
        target="deployment/api",
        namespace="production",
        params={"operation": "scale", "kind": "deployment", "name": "api", "namespace": "production", "replicas": 4},
    )
    with pytest.raises(PolicyDenied) as refused:
        retry.check(scale)
    assert "budget" in refused.value.message
