"""The structured Kubernetes tool on the sandbox: reads, dry-run + snapshot before changes, limits."""

from __future__ import annotations

import json

import pytest

from chalicelib.agents.tools.kubernetes import KubernetesConfig, KubernetesTool
from chalicelib.errors import ToolRefused
from chalicelib.integrations.kubernetes import kubectl_to_operation


@pytest.fixture
def kube(sandbox):
    tool = KubernetesTool(KubernetesConfig(kubeconfig=sandbox.kubeconfig_path, namespaces=["production"]))
    yield tool
    tool.close()


def test_reads(kube, sandbox):
    pods = json.loads(
        kube.invoke(
            "kubernetes", {"operation": "get", "kind": "pods", "namespace": "production", "label_selector": "app=api"}
        ).output
    )
    names = [p["metadata"]["name"] for p in pods["items"]]
    assert len(names) == 3 and all(n.startswith("api-") for n in names)
    logs = kube.invoke(
        "kubernetes", {"operation": "logs", "name": names[0], "namespace": "production", "previous": True}
    )
    assert logs.ok and "OutOfMemoryError" in logs.output
    described = json.loads(
        kube.invoke(
            "kubernetes", {"operation": "describe", "kind": "pod", "name": names[0], "namespace": "production"}
        ).output
    )
    assert described["object"]["metadata"]["name"] == names[0] and described["events"]
    top = kube.invoke("kubernetes", {"operation": "top", "namespace": "production"})
    assert top.ok and "api-" in top.output


def test_namespaces_outside_the_config_are_refused(kube):
    with pytest.raises(ToolRefused, match="outside"):
        kube.classify("kubernetes", {"operation": "get", "kind": "pods", "namespace": "kube-system"})


@pytest.mark.parametrize(
    ("arguments", "kind"),
    [
        ({"operation": "get", "kind": "pods"}, "read"),
        ({"operation": "rollout_restart", "kind": "deployment", "name": "api"}, "write"),
        ({"operation": "scale", "kind": "deployment", "name": "api", "replicas": 4}, "write"),
        ({"operation": "scale", "kind": "deployment", "name": "api", "replicas": 0}, "destructive"),
        ({"operation": "delete_pod", "name": "api-1"}, "destructive"),
        ({"operation": "patch_resources", "kind": "deployment", "name": "api"}, "write"),
        ({"operation": "rollout_undo", "kind": "deployment", "name": "api"}, "write"),
    ],
)
def test_operations_are_classified(kube, arguments, kind):
    assert kube.classify("kubernetes", {**arguments, "namespace": "production"}).kind == kind


def test_patch_resources_is_dry_run_then_applied_with_a_snapshot(kube, sandbox):
    outcome = kube.invoke(
        "kubernetes",
        {
            "operation": "patch_resources",
            "kind": "deployment",
            "name": "api",
            "namespace": "production",
            "container": "api",
            "resources": {"limits": {"memory": "3Gi"}},
        },
    )
    assert outcome.ok, outcome.error
    assert outcome.snapshot["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["memory"] == "2Gi"
    patches = [a for a in sandbox.actions if a.get("name") == "api" and a.get("method") == "PATCH"]
    assert [bool(a.get("dry_run")) for a in patches] == [True, False]
    live = sandbox.apps_v1().read_namespaced_deployment("api", "production")
    assert live.spec.template.spec.containers[0].resources.limits["memory"] == "3Gi"


def test_a_change_the_server_refuses_is_an_error_not_a_crash(kube, sandbox):
    outcome = kube.invoke(
        "kubernetes",
        {"operation": "scale", "kind": "deployment", "name": "ghost", "namespace": "production", "replicas": 2},
    )
    assert not outcome.ok and "404" in outcome.error
    assert not [a for a in sandbox.actions if not a.get("dry_run")]


def test_kubectl_argv_translation():
    assert kubectl_to_operation(["get", "pods", "-n", "production", "-l", "app=api"]) == {
        "namespace": "production",
        "operation": "get",
        "kind": "pods",
        "label_selector": "app=api",
    }
    assert kubectl_to_operation(["rollout", "restart", "deployment/api", "-n", "production"])["operation"] == (
        "rollout_restart"
    )
    assert kubectl_to_operation(["scale", "deployment/api", "--replicas=4"])["replicas"] == 4
    assert kubectl_to_operation(["delete", "pod", "api-1"])["operation"] == "delete_pod"
    assert kubectl_to_operation(["logs", "api-1", "-p"])["previous"] is True
    for unsupported in (["delete", "deployment", "api"], ["exec", "api-1", "--", "sh"], ["apply", "-f", "x.yaml"]):
        with pytest.raises(ToolRefused):
            kubectl_to_operation(unsupported)


@pytest.mark.parametrize(
    "args",
    [
        # Each flag here would be lost in translation: the structured call would act for real
        # (a dry run), on more objects (a selection), or differently (force, another patch).
        ["scale", "deployment/api", "--replicas=0", "--dry-run=server"],
        ["scale", "deployment/api", "--replicas=0", "--dry-run=client"],
        ["delete", "pod/api-1", "--dry-run=server"],
        ["delete", "pod/api-1", "--force", "--grace-period=0"],
        ["rollout", "undo", "deployment/api", "--dry-run=server"],
        ["delete", "pod", "-l", "app=api"],
        ["delete", "pod", "--all"],
        ["delete", "pod/api-1", "pod/api-2"],
        ["rollout", "restart", "deployment", "-l", "app=api"],
        ["patch", "deployment/api", '--patch={"spec":{"replicas":0,"template":{"spec":{"containers":'
         '[{"name":"api","resources":{"limits":{"memory":"1Gi"}}}]}}}}'],
        ["patch", "deployment/api", '--patch={"spec":{"template":{"spec":{"hostNetwork":true,"containers":'
         '[{"name":"api","resources":{"limits":{"memory":"1Gi"}}}]}}}}'],
    ],
)
def test_a_change_is_translated_only_when_the_structured_call_is_exactly_it(args):
    with pytest.raises(ToolRefused):
        kubectl_to_operation(args)


def test_a_resources_patch_still_translates():
    body = '{"spec":{"template":{"spec":{"containers":[{"name":"api","resources":{"limits":{"memory":"1Gi"}}}]}}}}'
    op = kubectl_to_operation(["patch", "deployment/api", "--namespace=production", f"--patch={body}"])
    assert op == {
        "namespace": "production",
        "operation": "patch_resources",
        "kind": "deployment",
        "name": "api",
        "container": "api",
        "resources": {"limits": {"memory": "1Gi"}},
    }
