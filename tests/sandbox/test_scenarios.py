"""Scenario files: format, expected blocks, incident payloads, and the initial cluster they build."""

from __future__ import annotations

import pytest

from sandbox.cluster import Cluster
from sandbox.scenarios import ScenarioError, list_scenarios, load_scenario, parse_duration, parse_scenario

REQUIRED = [
    "test001-high-memory",
    "test002-postgres-down",
    "crashloop-bad-config",
    "imagepull-bad-deploy",
    "unschedulable-pods",
    "statefulset-disk-full",
    "false-alarm",
]


def test_required_scenarios_exist() -> None:
    assert set(REQUIRED) <= set(list_scenarios())


@pytest.mark.parametrize("name", REQUIRED)
def test_scenario_is_complete(name: str) -> None:
    scn = load_scenario(name)
    assert scn.name == name
    inc = scn.incident["event"]["incident"]
    assert set(inc) >= {"id", "title", "service", "urgency", "html_url", "custom_details"}
    assert inc["service"]["name"]
    details = inc["custom_details"]
    assert details["namespace"] and "/" in details["resource"]
    exp = scn.expected
    assert exp["severity"] in ("low", "medium", "high", "critical")
    assert exp["root_cause_keywords"]
    assert exp["outcome"] in ("remediate", "escalate", "no_action")
    if exp["action"]:
        assert exp["resolvable"] and exp["outcome"] == "remediate"
        assert exp["action"]["target"] == details["resource"]
        assert exp["action"]["namespace"] == details["namespace"]
        # the expected action is listed as a remediation that resolves the incident
        assert any(
            r["verb"] == exp["action"]["verb"] and r["target"] == exp["action"]["target"] and r["resolves"]
            for r in scn.remediations
        )
    else:
        assert not exp["resolvable"]
    assert scn.remediations
    scn.workload(details["resource"], details["namespace"])  # the resource exists in the scenario
    assert scn.incident_payload == scn.incident and scn.incident_payload is not scn.incident


def test_tutorial_expectations() -> None:
    t1 = load_scenario("test001-high-memory")
    assert t1.incident_id == "TEST001"
    assert t1.expected["severity"] == "high"
    assert t1.expected_action == {"verb": "rollout restart", "target": "deployment/api", "namespace": "production"}
    assert {"memory", "OOMKilled"} <= set(t1.expected["root_cause_keywords"])
    t2 = load_scenario("test002-postgres-down")
    assert t2.incident["event"]["incident"]["title"] == "Database cluster down - all replicas failing"
    assert t2.expected["severity"] == "critical"
    assert t2.expected_action == {
        "verb": "rollout restart",
        "target": "statefulset/postgres",
        "namespace": "production",
    }
    assert load_scenario("false-alarm").expected["outcome"] == "no_action"
    assert load_scenario("unschedulable-pods").expected["outcome"] == "escalate"
    assert load_scenario("statefulset-disk-full").expected["outcome"] == "escalate"


def test_load_by_path_and_errors(tmp_path) -> None:
    scn = load_scenario(load_scenario("false-alarm").path)
    assert scn.name == "false-alarm"
    with pytest.raises(ScenarioError, match="unknown scenario"):
        load_scenario("no-such-scenario")
    doc = dict(load_scenario("false-alarm").raw)
    bad = dict(doc, expected={"severity": "urgent"})
    with pytest.raises(ScenarioError, match="severity"):
        parse_scenario(bad)
    bad = dict(doc, profiles={"healthy": {"status": "Exploding"}})
    with pytest.raises(ScenarioError, match="status"):
        parse_scenario(bad)
    bad = dict(doc, incident={"event": {}})
    with pytest.raises(ScenarioError, match="incident"):
        parse_scenario(bad)
    with pytest.raises(ScenarioError):
        parse_scenario([1, 2])


def test_parse_duration() -> None:
    assert parse_duration("3d4h") == 3 * 86400 + 4 * 3600
    assert parse_duration(90) == 90
    assert parse_duration(None, 7) == 7


def summary(name: str) -> list[dict]:
    scn = load_scenario(name)
    cluster = Cluster(scn)
    target = scn.incident["event"]["incident"]["custom_details"]["resource"]
    return cluster.pod_summary(target, scn.namespace)


def test_initial_state_test001() -> None:
    pods = summary("test001-high-memory")
    assert len(pods) == 3 and all(p["profile"] == "leaking" for p in pods)
    assert all(p["restarts"] >= 6 for p in pods)
    assert sorted(p["status"] for p in pods) == ["CrashLoopBackOff", "Running", "Running"]


def test_initial_state_test002() -> None:
    pods = summary("test002-postgres-down")
    assert [p["name"] for p in pods] == ["postgres-0", "postgres-1", "postgres-2"]
    assert all(p["status"] == "CrashLoopBackOff" and not p["ready"] for p in pods)


def test_initial_state_others() -> None:
    assert {p["status"] for p in summary("crashloop-bad-config")} == {"CrashLoopBackOff"}
    statuses = sorted(p["status"] for p in summary("imagepull-bad-deploy"))
    assert statuses == ["ImagePullBackOff", "ImagePullBackOff", "Running", "Running", "Running"]
    statuses = sorted(p["status"] for p in summary("unschedulable-pods"))
    assert statuses == ["Pending"] * 4 + ["Running"] * 2
    assert {p["status"] for p in summary("statefulset-disk-full")} == {"CrashLoopBackOff"}
    assert {p["status"] for p in summary("false-alarm")} == {"Running"}


@pytest.mark.parametrize("name", REQUIRED)
def test_initially_resolved_only_for_false_alarm(name: str) -> None:
    cluster = Cluster(load_scenario(name))
    assert cluster.incident_resolved() is (name == "false-alarm")
