"""The evaluation scenarios behave as written: each listed fix heals (by the scenario's own health
check) exactly when the file says so, and the incident is really there at the start."""

from __future__ import annotations

from pathlib import Path

import pytest

from chalicelib.evaluation.runner import healthy_now
from sandbox.scenarios import load_scenarios
from sandbox.testing import settled

EVAL_DIR = Path(__file__).resolve().parents[2] / "eval" / "scenarios"
SCENARIOS = {s.name: s for s in load_scenarios([EVAL_DIR])}
CASES = [
    pytest.param(name, i, id=f"{name}:{rem['verb'].replace(' ', '-')}")
    for name, s in SCENARIOS.items()
    for i, rem in enumerate(s.remediations)
]


def test_there_are_enough_scenarios_and_a_third_have_a_plausible_fix_that_does_not_heal():
    assert len(SCENARIOS) >= 8
    two_fixes = [
        s for s in SCENARIOS.values()
        if s.expected["outcome"] == "remediate" and any(not r["resolves"] for r in s.remediations)
    ]
    assert len(two_fixes) * 3 >= len(SCENARIOS)


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_the_incident_is_there_at_the_start(sandbox_factory, name):
    sb = sandbox_factory(SCENARIOS[name], speed=4.0)
    # Only a false alarm starts healthy; an upstream outage has healthy pods and still its fault.
    assert healthy_now(sb) is (SCENARIOS[name].expected["outcome"] == "no_action")


@pytest.mark.parametrize(("name", "index"), CASES)
def test_each_fix_heals_exactly_when_the_scenario_says(sandbox_factory, name, index):
    sb = sandbox_factory(SCENARIOS[name], speed=4.0)
    rem = sb.scenario.remediations[index]
    before = {p["metadata"]["uid"] for p in sb.cluster.workload_pods(rem["target"], rem["namespace"])}
    assert sb.apply(rem).returncode == 0
    if rem["resolves"]:
        assert sb.cluster.wait_for(lambda: healthy_now(sb), timeout=10), sb.cluster.pod_summary(rem["target"])
    else:
        # Judged once the fix has played out (rollout done, or its new pods in their own state).
        assert sb.cluster.wait_for(lambda: settled(sb, rem, before), timeout=10), sb.cluster.pod_summary(
            rem["target"], rem["namespace"]
        )
        assert not healthy_now(sb), sb.cluster.pod_summary(rem["target"], rem["namespace"])


def test_a_container_that_cannot_be_configured_is_never_reported_started(sandbox_factory):
    sb = sandbox_factory(SCENARIOS["missing-secret-after-deploy"], speed=4.0)
    before = {p["name"]: p for p in sb.cluster.pod_summary("deployment/orders", "shop")}
    broken = next(name for name, p in before.items() if not p["ready"])
    assert sb.kubectl("delete", "pod", broken, "-n", "shop").returncode == 0

    def replacement() -> set[str]:
        pods = {p["name"] for p in sb.cluster.pod_summary("deployment/orders", "shop") if not p["ready"]}
        return pods - set(before)

    assert sb.cluster.wait_for(lambda: bool(replacement()), timeout=5)
    new = replacement()
    assert sb.cluster.wait_for(
        lambda: any(
            e["reason"] == "Failed" for e in sb.cluster.events("shop") if e["involvedObject"]["name"] in new
        ),
        timeout=5,
    )
    reasons = {e["reason"] for e in sb.cluster.events("shop") if e["involvedObject"]["name"] in new}
    assert not reasons & {"Created", "Started"}, reasons
