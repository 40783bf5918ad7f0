"""``builtin:triage`` as analyzers and a combiner: each family of signals gives evidence, and a cause
is named only when the evidence points at one.

The renaming cases run the real agent against the sandbox: what a scenario is called and how its
alert is worded are text written for people, so they must not change the diagnosis. The combiner
cases build the findings by hand (no IO): competing or missing evidence is escalated, not guessed.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from chalicelib.agents.loop import run_agent
from chalicelib.agents.providers.builtin.analyzers import analyze
from chalicelib.agents.providers.builtin.evidence import situation
from chalicelib.agents.providers.builtin.facts import Findings, PodFacts
from chalicelib.agents.providers.builtin.triage import diagnose
from chalicelib.evaluation.runner import incident_prompt
from chalicelib.evaluation.scoring import decision_of, root_cause_ok
from sandbox.scenarios import parse_scenario
from tests.unit.agents.conftest import SHELL_KUBECTL, options, variant

EVAL_DIR = Path(__file__).resolve().parents[3] / "eval" / "scenarios"


def _diagnose(tutorial: Any, sandbox_factory: Any, doc: dict[str, Any]) -> dict[str, Any]:
    scenario = parse_scenario(doc, path="variant")
    sb = sandbox_factory(scenario, speed=4.0)
    agent = variant(tutorial["incident-diagnostic"], model="builtin:triage", tools=[SHELL_KUBECTL])
    return dict(run_agent(agent, incident_prompt(scenario.incident), options(kubeconfig=sb.kubeconfig_path)).output)


def _renamed(doc: dict[str, Any]) -> dict[str, Any]:
    """The same cluster under another name, with an alert worded as another team would word it."""
    out = dict(doc, name="incident-4711", title="page from the on-call rota", description="")
    out["class"] = "unclassified"
    inner = out["incident"]["event"]["incident"]
    inner["title"] = "Alertmanager: SLO burn rate high"
    inner["custom_details"] = {**inner["custom_details"], "alert": "slo:error_budget_burn:ratio_rate1h > 14.4"}
    return out


@pytest.mark.parametrize(
    "name", ["oom-limit-lowered", "upstream-outage-geocoder", "imagepull-registry-auth", "false-alarm-after-deploy"]
)
def test_a_renamed_scenario_with_a_reworded_alert_gets_the_same_diagnosis(tutorial, sandbox_factory, name):
    doc = yaml.safe_load((EVAL_DIR / f"{name}.yaml").read_text())
    rule = parse_scenario(doc, path=name).expected["root_cause"]
    namespace = doc["incident"]["event"]["incident"]["custom_details"]["namespace"]
    before = _diagnose(tutorial, sandbox_factory, doc)
    after = _diagnose(tutorial, sandbox_factory, _renamed(yaml.safe_load((EVAL_DIR / f"{name}.yaml").read_text())))
    assert decision_of(after, namespace) == decision_of(before, namespace)
    assert after["severity"] == before["severity"]
    assert root_cause_ok(after, rule) and root_cause_ok(before, rule)


def _pod(name: str, **kw: Any) -> PodFacts:
    base: dict[str, Any] = {
        "name": name,
        "phase": "Running",
        "ready": False,
        "restarts": 4,
        "waiting": "CrashLoopBackOff",
        "waiting_message": None,
        "last_terminated": "OOMKilled",
        "unschedulable": None,
        "labels": {"app": "api"},
        "owner_kind": "Deployment",
        "owner_name": "api",
        "limits_memory": "512Mi",
        "namespace": "shop",
        "exit_code": 137,
        "template_hash": "new",
    }
    base.update(kw)
    return PodFacts(**base)


def _rs(revision: int, template: str, minutes_old: float, ready: int, memory: str = "512Mi") -> dict[str, Any]:
    stamp = datetime.fromtimestamp(time.time() - minutes_old * 60, UTC).isoformat().replace("+00:00", "Z")
    return {
        "metadata": {
            "name": f"api-{template}",
            "labels": {"pod-template-hash": template},
            "annotations": {"deployment.kubernetes.io/revision": str(revision)},
            "creationTimestamp": stamp,
        },
        "spec": {"template": {"spec": {"containers": [{"name": "api", "resources": {"limits": {"memory": memory}}}]}}},
        "status": {"readyReplicas": ready},
    }


def _findings(pods: list[PodFacts], *, metrics: dict[str, str] | None = None, logs: str = "",
              replicasets: list[dict[str, Any]] | None = None) -> Findings:
    f = Findings(namespace="shop", target="deployment/api", workload={"metadata": {}}, pods=pods, events=[],
                 logs=logs, metrics=metrics or {})
    f.replicasets = replicasets or []
    f.revision = max((int(r["metadata"]["annotations"]["deployment.kubernetes.io/revision"]) for r in f.replicasets),
                     default=1)
    f.previous_revision_exists = len(f.replicasets) > 1
    return f


def test_an_oomkill_is_a_leak_to_restart_only_when_memory_is_seen_growing():
    out = diagnose(_findings([_pod("api-1"), _pod("api-2")], metrics={"api-1": "200Mi", "api-2": "210Mi"}))
    assert out.action is None
    assert "nothing says whether" in out.root_cause
    # Usage at the limit, even an OutOfMemoryError, says memory ran out, not that it leaks: a limit
    # too small for the work looks the same, and a restart keeps the same limit.
    at_limit = {"api-1": "505Mi", "api-2": "498Mi"}
    out = diagnose(_findings([_pod("api-1"), _pod("api-2")], metrics=at_limit,
                             logs="ERROR render failed: java.lang.OutOfMemoryError: Java heap space"))
    assert out.action is None
    assert "limit may be too low" in out.root_cause and "512Mi" in out.root_cause
    # Memory seen growing over time is what makes it a leak, which a restart resets.
    growing = "WARN heap usage 1.48GiB/1.75GiB (85%) after full GC, old gen growing"
    out = diagnose(_findings([_pod("api-1"), _pod("api-2")], metrics=at_limit, logs=growing))
    assert out.action == {"verb": "rollout restart", "target": "deployment/api", "namespace": "shop"}


def test_a_new_revision_oomkilled_at_its_limit_without_growth_is_rolled_back():
    # A new revision's pods fail, OOMKilled with usage at the limit, and nothing shows memory
    # growing: the cause is the revision (the previous one ran for days), not a leak to restart.
    history = [_rs(2, "new", minutes_old=20, ready=0), _rs(1, "old", minutes_old=60 * 24 * 9, ready=2)]
    f = _findings([_pod("api-1"), _pod("api-2")], metrics={"api-1": "505Mi", "api-2": "500Mi"}, replicasets=history)
    seen = {e.cause for e in analyze(situation(f, now=time.time())).evidence}
    assert {"bad-revision", "oom-killed", "memory-at-limit"} <= seen and "memory-leak" not in seen
    out = diagnose(f)
    assert out.action == {"verb": "rollout undo", "target": "deployment/api", "namespace": "shop"}
    assert "revision 2" in out.root_cause


def test_each_signal_family_reports_its_own_evidence():
    pods = [
        _pod("api-1", waiting="ImagePullBackOff", waiting_message="pull access denied: 401 Unauthorized",
             last_terminated=None, exit_code=None),
        _pod("api-2", waiting=None, phase="Pending", last_terminated=None, unschedulable="0/3 nodes: Insufficient cpu"),
    ]
    f = _findings(pods, logs="ERROR lookup db.shop: no such host\n")
    f.events = [{"type": "Warning", "reason": "Unhealthy", "message": "Readiness probe failed: 503",
                 "involvedObject": {"name": "api-1"}}]
    f.endpoints = [{"metadata": {"name": "api"},
                    "subsets": [{"notReadyAddresses": [{"targetRef": {"name": "api-1"}}]}]}]
    by_signal = {(e.signal, e.cause) for e in analyze(situation(f, now=time.time())).evidence}
    assert {
        ("container-state", "image-pull"),
        ("container-state", "registry-auth"),
        ("scheduling", "unschedulable"),
        ("probes", "probe-failing"),
        ("logs", "dns"),
        ("endpoints", "no-endpoints"),
    } <= by_signal


def _with_container(rs: dict[str, Any], **fields: Any) -> dict[str, Any]:
    rs["spec"]["template"]["spec"]["containers"][0].update(fields)
    return rs


def test_a_probe_the_current_revision_tightened_is_rolled_back_however_old_the_revision():
    # Deployed 14 hours ago (not "recent"), the old pods all replaced: only the probe change explains it.
    tight = {"httpGet": {"path": "/healthz", "port": 8080}, "timeoutSeconds": 1}
    loose = {"httpGet": {"path": "/healthz", "port": 8080}, "timeoutSeconds": 5}
    history = [
        _with_container(_rs(2, "new", minutes_old=14 * 60, ready=0), livenessProbe=tight),
        _with_container(_rs(1, "old", minutes_old=60 * 24 * 30, ready=0), livenessProbe=loose),
    ]
    pods = [_pod("api-1", last_terminated="Error", exit_code=137), _pod("api-2", last_terminated="Error", exit_code=137)]
    f = _findings(pods, replicasets=history)
    f.events = [{"type": "Warning", "reason": "Unhealthy", "message": "Liveness probe failed: context deadline exceeded",
                 "involvedObject": {"name": "api-1"}}]
    out = diagnose(f)
    assert out.action == {"verb": "rollout undo", "target": "deployment/api", "namespace": "shop"}
    assert "livenessProbe" in out.root_cause
    # The same failure with the probe unchanged between revisions is not pinned on the revision.
    history[0]["spec"]["template"]["spec"]["containers"][0]["livenessProbe"] = loose
    assert diagnose(_findings(pods, replicasets=history)).action is None


def test_requests_the_current_revision_raised_beyond_the_nodes_are_rolled_back():
    history = [
        _with_container(_rs(2, "new", minutes_old=30, ready=0), resources={"requests": {"cpu": "25"}}),
        _with_container(_rs(1, "old", minutes_old=60 * 24 * 9, ready=2), resources={"requests": {"cpu": "250m"}}),
    ]
    pending = dict(phase="Pending", waiting=None, last_terminated=None, exit_code=None, restarts=0,
                   unschedulable="0/3 nodes are available: 3 Insufficient cpu.")
    f = _findings([_pod("api-new", **pending), _pod("api-1", ready=True, waiting=None, last_terminated=None,
                                                    template_hash="old", restarts=0)], replicasets=history)
    out = diagnose(f)
    assert out.action == {"verb": "rollout undo", "target": "deployment/api", "namespace": "shop"}
    assert "cpu request 250m -> 25" in out.root_cause
    # Lack of capacity with the requests unchanged is the cluster's, escalated.
    history[0]["spec"]["template"]["spec"]["containers"][0]["resources"] = {"requests": {"cpu": "250m"}}
    assert diagnose(_findings(f.pods, replicasets=history)).action is None
