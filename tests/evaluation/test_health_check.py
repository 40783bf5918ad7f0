"""Healed means the cause is gone: new pods that still carry the fault do not count."""

from __future__ import annotations

import pytest
import yaml

from chalicelib.evaluation.runner import healthy_now
from sandbox.scenarios import SCENARIO_DIR, Scenario, ScenarioError, parse_scenario


def test_a_restart_that_leaves_the_leak_is_not_healed(sandbox_factory):
    sb = sandbox_factory("test001-high-memory", speed=4.0)
    assert not healthy_now(sb)
    sb.kubectl("rollout", "restart", "deployment/api", "-n", "production")
    assert sb.wait_resolved(timeout=10)  # every pod Running and Ready again...
    assert not healthy_now(sb)  # ...but on the revision whose session cache never expires


def test_rolling_back_to_the_revision_without_the_leak_heals(sandbox_factory):
    sb = sandbox_factory("test001-high-memory", speed=4.0)
    sb.kubectl("rollout", "undo", "deployment/api", "-n", "production")
    assert sb.cluster.wait_for(lambda: healthy_now(sb), timeout=10)


def _with_health(name: str, health: dict) -> Scenario:
    doc = yaml.safe_load((SCENARIO_DIR / f"{name}.yaml").read_text())
    doc["health"] = health
    return parse_scenario(doc)


def test_a_healthy_service_in_front_of_a_down_upstream_is_not_healed(sandbox_factory):
    """api is Running and Ready, but the check names the upstream Service it needs: not healed
    until postgres answers from healthy pods."""
    sb = sandbox_factory(
        _with_health("test002-postgres-down", {"workloads": ["deployment/api"], "services": ["postgres"]}), speed=4.0
    )
    assert sb.cluster.workload_healthy("deployment/api", "production")
    assert not healthy_now(sb)
    sb.kubectl("rollout", "restart", "deployment/api", "-n", "production")
    assert sb.cluster.wait_for(lambda: sb.cluster.rollout_complete("deployment/api", "production"), timeout=10)
    assert not healthy_now(sb)  # new api pods do not bring the database back
    sb.kubectl("rollout", "restart", "statefulset/postgres", "-n", "production")
    assert sb.cluster.wait_for(lambda: healthy_now(sb), timeout=10)


def test_a_service_the_check_names_must_be_one_of_the_scenario():
    with pytest.raises(ScenarioError, match=r"health\.services: 'payments' is not a Service of the scenario"):
        _with_health("test002-postgres-down", {"services": ["payments"]})


def test_a_workload_scaled_to_zero_is_not_healed(sandbox_factory):
    """No pod means no failing pod, and no pod serving either: scaling the incident away is not a fix."""
    sb = sandbox_factory("test001-high-memory", speed=4.0)
    sb.kubectl("scale", "deployment/api", "--replicas=0", "-n", "production")
    assert sb.cluster.wait_for(lambda: not sb.cluster.workload_pods("deployment/api", "production"), timeout=10)
    assert not sb.cluster.workload_healthy("deployment/api", "production")
    assert not healthy_now(sb)
