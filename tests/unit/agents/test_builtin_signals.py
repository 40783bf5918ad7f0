"""``builtin:triage`` decides from signals, not from the wording of the scenarios it was built with.

Each case takes an evaluation scenario and changes what a rule could have been keyed on (the log
lines, the messages) or the one signal that should change the answer (the revision's age, the
pull error's status, how many requests fail), then checks the decision follows the signal.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from chalicelib.agents.loop import run_agent
from chalicelib.evaluation.runner import incident_prompt
from chalicelib.evaluation.scoring import decision_of, root_cause_ok
from sandbox.scenarios import parse_scenario
from tests.unit.agents.conftest import SHELL_KUBECTL, options, variant

EVAL_DIR = Path(__file__).resolve().parents[3] / "eval" / "scenarios"


def _doc(name: str) -> dict[str, Any]:
    return yaml.safe_load((EVAL_DIR / f"{name}.yaml").read_text())


def _diagnose(tutorial: Any, sandbox_factory: Any, doc: dict[str, Any]) -> dict[str, Any]:
    scenario = parse_scenario(doc, path="variant")
    sb = sandbox_factory(scenario, speed=4.0)
    agent = variant(tutorial["incident-diagnostic"], model="builtin:triage", tools=[SHELL_KUBECTL])
    result = run_agent(agent, incident_prompt(scenario.incident), options(kubeconfig=sb.kubeconfig_path))
    return dict(result.output)


def test_a_failing_new_revision_is_rolled_back_whatever_its_logs_say(tutorial, sandbox_factory):
    doc = _doc("rollout-stuck-readiness")
    doc["profiles"]["unready"]["logs"] = (
        "Traceback (most recent call last):\n  File \"/app/ready.py\", line 12, in check\n"
        "KeyError: 'LEDGER_URL'\nERROR ready check failed\n"
    )
    doc["profiles"]["unready"]["events"][0]["message"] = "Readiness probe failed: Get \"http://${ip}:8080/ready\": EOF"
    out = _diagnose(tutorial, sandbox_factory, doc)
    assert decision_of(out, "billing").action == {
        "verb": "rollout undo", "target": "deployment/billing-api", "namespace": "billing"
    }


def test_the_same_failure_on_an_old_revision_with_nothing_serving_is_escalated(tutorial, sandbox_factory):
    doc = _doc("rollout-stuck-readiness")
    workload = doc["workloads"][0]
    # Not a recent change any more: deployed a month ago, every pod on it, none of the old ones left.
    workload.update(pod_age="30d", rollout_age="30d", previous_replicas=0, current_replicas=4)
    out = _diagnose(tutorial, sandbox_factory, doc)
    assert decision_of(out, "billing").outcome == "escalate"
    assert out["action"] is None


def test_a_missing_image_is_rolled_back_but_refused_credentials_are_escalated(tutorial, sandbox_factory):
    doc = _doc("imagepull-registry-auth")
    message = 'Back-off pulling image "${image}": rpc error: code = NotFound desc = manifest unknown'
    doc["profiles"]["no-auth"]["message"] = message
    doc["profiles"]["no-auth"]["events"] = [{"type": "Warning", "reason": "Failed", "message": message}]
    assert decision_of(_diagnose(tutorial, sandbox_factory, doc), "messaging").outcome == "remediate"
    doc = _doc("imagepull-registry-auth")
    denied = 'Failed to pull image "${image}": pull access denied, repository does not exist or may require authorization: 403 Forbidden'
    doc["profiles"]["no-auth"]["message"] = denied
    doc["profiles"]["no-auth"]["events"] = [{"type": "Warning", "reason": "Failed", "message": denied}]
    assert decision_of(_diagnose(tutorial, sandbox_factory, doc), "messaging").outcome == "escalate"


def test_one_failed_call_on_healthy_pods_is_no_outage(tutorial, sandbox_factory):
    doc = _doc("upstream-outage")
    lines = doc["profiles"]["serving"]["logs"].splitlines()
    doc["profiles"]["serving"]["logs"] = "\n".join([ln for ln in lines if " ERROR " not in ln] + [lines[1]]) + "\n"
    doc["profiles"]["serving"]["fault"] = False
    out = _diagnose(tutorial, sandbox_factory, doc)
    assert decision_of(out, "shop").outcome == "no_action"


def test_a_lowered_limit_is_not_called_a_leak_and_a_leak_is_not_rolled_back(tutorial, sandbox_factory):
    out = _diagnose(tutorial, sandbox_factory, _doc("oom-limit-lowered"))
    rule = parse_scenario(_doc("oom-limit-lowered"), path="x").expected["root_cause"]
    assert root_cause_ok(out, rule) and "leak" not in out["root_cause"].lower()
    doc = _doc("oom-limit-lowered")
    # The previous revision had the same 256Mi limit: the limit is not what changed.
    doc["workloads"][0]["history"][0]["resources"] = doc["workloads"][0]["containers"][0]["resources"]
    doc["workloads"][0].update(pod_age="20d", rollout_age="20d")
    out = _diagnose(tutorial, sandbox_factory, doc)
    assert decision_of(out, "catalog").action != {
        "verb": "rollout undo", "target": "deployment/search", "namespace": "catalog"
    }


def test_a_dropped_pull_secret_is_rolled_back_but_refused_credentials_of_both_revisions_are_escalated(
    tutorial, sandbox_factory
):
    doc = _doc("imagepull-pull-secret-dropped")
    out = _diagnose(tutorial, sandbox_factory, doc)
    assert decision_of(out, "finance").action == {
        "verb": "rollout undo", "target": "deployment/ledger", "namespace": "finance"
    }
    assert "imagePullSecrets" in out["root_cause"]
    # The previous revision had no imagePullSecrets either: the same 401 is a registry matter.
    doc = _doc("imagepull-pull-secret-dropped")
    del doc["workloads"][0]["history"][0]["pod_spec"]
    assert decision_of(_diagnose(tutorial, sandbox_factory, doc), "finance").outcome == "escalate"


def test_a_dropped_toleration_is_rolled_back_but_missing_capacity_is_escalated(tutorial, sandbox_factory):
    doc = _doc("pending-toleration-dropped")
    out = _diagnose(tutorial, sandbox_factory, doc)
    assert decision_of(out, "batch").action == {
        "verb": "rollout undo", "target": "deployment/report-builder", "namespace": "batch"
    }
    # Same history, but the scheduler says the nodes are full: no rollback makes room.
    doc = _doc("pending-toleration-dropped")
    full = "0/5 nodes are available: 5 Insufficient memory. preemption: 0/5 nodes are available: 5 No preemption victims found for incoming pod."
    doc["profiles"]["untolerated"]["message"] = full
    doc["profiles"]["untolerated"]["events"][0]["message"] = full
    assert decision_of(_diagnose(tutorial, sandbox_factory, doc), "batch").outcome == "escalate"


def test_a_service_selector_that_misses_the_pods_is_escalated_and_a_matching_one_is_fine(tutorial, sandbox_factory):
    doc = _doc("service-selector-mismatch")
    out = _diagnose(tutorial, sandbox_factory, doc)
    assert decision_of(out, "catalog").outcome == "escalate"
    assert "selector" in out["root_cause"] and "catalog" in out["root_cause"]
    doc = _doc("service-selector-mismatch")
    doc["services"][0]["selector"]["app.kubernetes.io/component"] = "server"
    assert decision_of(_diagnose(tutorial, sandbox_factory, doc), "catalog").outcome == "no_action"


def test_a_deleted_secret_is_named_and_escalated_and_its_return_ends_the_incident(tutorial, sandbox_factory):
    doc = _doc("missing-secret-deleted")
    out = _diagnose(tutorial, sandbox_factory, doc)
    assert decision_of(out, "billing").outcome == "escalate"
    assert "billing-smtp" in out["root_cause"]
    doc = _doc("missing-secret-deleted")
    doc["secrets"][1] = {"name": "billing-smtp", "namespace": "billing", "data": {"password": "x"}}
    assert decision_of(_diagnose(tutorial, sandbox_factory, doc), "billing").outcome == "no_action"


def test_claims_that_cannot_bind_are_escalated_with_why_and_bound_ones_are_fine(tutorial, sandbox_factory):
    doc = _doc("pending-unbound-pvc")
    out = _diagnose(tutorial, sandbox_factory, doc)
    assert decision_of(out, "search").outcome == "escalate"
    assert 'storageclass.storage.k8s.io "gp3-encrypted" not found' in out["root_cause"]
    doc = _doc("pending-unbound-pvc")
    doc["workloads"][0]["volume_claim_templates"][0]["spec"]["storageClassName"] = "gp3"
    assert decision_of(_diagnose(tutorial, sandbox_factory, doc), "search").outcome == "no_action"
