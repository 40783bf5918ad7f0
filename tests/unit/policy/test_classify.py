"""The policy's own classification: what counts as destructive, what is off limits, what a plan covers."""

from __future__ import annotations

import pytest

from chalicelib.agents.tools.shell import classify_argv
from chalicelib.errors import ToolRefused
from chalicelib.policy.classify import assess
from chalicelib.policy.plan import covered
from chalicelib.policy.settings import SafetySettings

SAFETY = SafetySettings()


def kubectl(command: str) -> object:
    return assess(classify_argv(["kubectl", *command.split()]), SAFETY)


def test_data_loss_and_scale_to_zero_are_destructive() -> None:
    for command in (
        "delete namespace production",
        "delete statefulset postgres -n production",
        "delete pvc data-postgres-0 -n production",
        "scale deployment/api --replicas=0 -n production",
        "delete pods -l app=api -n production",
    ):
        assert kubectl(command).kind == "destructive", command  # type: ignore[attr-defined]


def test_restart_and_deleting_one_pod_are_writes() -> None:
    assert kubectl("rollout restart deployment/api -n production").kind == "write"  # type: ignore[attr-defined]
    assert kubectl("delete pod api-7d9c-abcde -n production").kind == "write"  # type: ignore[attr-defined]
    assert kubectl("get pods -n production").kind == "read"  # type: ignore[attr-defined]


def test_protected_namespace_makes_anything_destructive_and_allowed_namespaces_fence_the_rest() -> None:
    assert kubectl("rollout restart deployment/coredns -n kube-system").kind == "destructive"  # type: ignore[attr-defined]
    fenced = SafetySettings.from_dict({"allowed_namespaces": ["production"], "forbidden_kinds": ["secret"]})
    other = assess(classify_argv(["kubectl", "rollout", "restart", "deployment/x", "-n", "staging"]), fenced)
    assert other.forbidden and "staging" in other.forbidden
    secret = assess(classify_argv(["kubectl", "delete", "secret", "db", "-n", "production"]), fenced)
    assert secret.forbidden and "secret" in secret.forbidden


def test_plan_covers_exactly_the_proposed_change() -> None:
    plan = {
        "proposed_actions": {"diagnose": "kubectl rollout restart statefulset/postgres -n production (fresh pods)"},
        "namespace": "production",
    }
    restart = assess(classify_argv(["kubectl", "rollout", "restart", "sts/postgres", "-n", "production"]), SAFETY)
    other_ns = assess(classify_argv(["kubectl", "rollout", "restart", "sts/postgres", "-n", "staging"]), SAFETY)
    delete = assess(classify_argv(["kubectl", "delete", "statefulset", "postgres", "-n", "production"]), SAFETY)
    assert covered(restart.change, plan)
    assert not covered(other_ns.change, plan)
    assert not covered(delete.change, plan)


def test_no_command_may_print_secret_values() -> None:
    for command in (
        "get secret db -o jsonpath-as-json={.data} -n production",
        "get secret db -o templatefile=/proc/self/cmdline -n production",
        "get secrets -o yaml -n production",
        "annotate secret db x=y --dry-run=server -o yaml -n production",
        "label secrets --all x=y --dry-run=client -o json -n production",
        "patch secret db -p {} --dry-run=server -o jsonpath={.data} -n production",
    ):
        with pytest.raises(ToolRefused, match="Secret values"):
            kubectl(command)
    for command in ("get secrets -n production", "get secret db -o name -n production", "describe secret db"):
        assert kubectl(command).kind == "read", command  # type: ignore[attr-defined]


def test_an_approval_of_a_selection_or_a_graceful_delete_covers_nothing_wider() -> None:
    plan = {
        "proposed_actions": {"diagnose": "kubectl delete pods -l app=api -n production\nkubectl delete pod api-1"},
        "namespace": "production",
    }
    assert covered(kubectl("delete pods -l app=api -n production").change, plan)  # type: ignore[attr-defined]
    for wider in (
        "delete pods --all -n production",
        "delete pods -l app=web -n production",
        "delete pods --field-selector=status.phase=Running -n production",
        "delete pod api-1 --force --grace-period=0 -n production",
    ):
        assert not covered(kubectl(wider).change, plan), wider  # type: ignore[attr-defined]
