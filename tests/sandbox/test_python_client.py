"""The official kubernetes Python client against the sandbox (what agents' tools use)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable

import pytest
from kubernetes import client, config, watch
from kubernetes.client.rest import ApiException

from sandbox.testing import Sandbox

from .conftest import FAST

RESTART = {
    "spec": {"template": {"metadata": {"annotations": {"kubectl.kubernetes.io/restartedAt": "2026-11-26T18:00:00Z"}}}}
}


def test_reads(memory_sandbox: Sandbox) -> None:
    core = memory_sandbox.core_v1()
    pods = core.list_namespaced_pod("production", label_selector="app=api").items
    assert len(pods) == 3
    assert all(p.status.container_statuses[0].restart_count >= 6 for p in pods)
    assert {p.status.container_statuses[0].last_state.terminated.reason for p in pods} == {"OOMKilled"}
    log = core.read_namespaced_pod_log(pods[0].metadata.name, "production", tail_lines=3)
    assert len(log.splitlines()) == 3 and "heap" in log
    prev = core.read_namespaced_pod_log(pods[0].metadata.name, "production", previous=True)
    assert "OutOfMemoryError" in prev
    events = core.list_namespaced_event(
        "production", field_selector=f"involvedObject.name={pods[0].metadata.name},type=Warning"
    ).items
    assert {e.reason for e in events} >= {"BackOff", "Unhealthy"}
    assert core.read_namespace("production").status.phase == "Active"
    assert len(core.list_node().items) == 3
    assert core.list_pod_for_all_namespaces(field_selector="status.phase=Running").items
    apps = memory_sandbox.apps_v1()
    dep = apps.read_namespaced_deployment("api", "production")
    assert dep.spec.replicas == 3 and dep.status.ready_replicas == 2
    rs = apps.list_namespaced_replica_set("production", label_selector="app=api").items
    assert sorted(r.metadata.annotations["deployment.kubernetes.io/revision"] for r in rs) == ["1", "2"]
    assert all(r.metadata.owner_references[0].uid == dep.metadata.uid for r in rs)
    scale = apps.read_namespaced_deployment_scale("api", "production")
    assert scale.spec.replicas == 3 and scale.status.selector == "app=api"
    metrics = client.CustomObjectsApi(memory_sandbox.api_client()).list_namespaced_custom_object(
        "metrics.k8s.io", "v1beta1", "production", "pods", label_selector="app=api"
    )
    assert all(m["containers"][0]["usage"]["memory"].endswith("Ki") for m in metrics["items"])
    assert client.VersionApi(memory_sandbox.api_client()).get_code().major == "1"
    ev1 = client.EventsV1Api(memory_sandbox.api_client()).list_namespaced_event("production").items
    assert any(e.note and "Back-off" in e.note for e in ev1)


def test_errors(memory_sandbox: Sandbox) -> None:
    core, apps = memory_sandbox.core_v1(), memory_sandbox.apps_v1()
    with pytest.raises(ApiException) as err:
        core.read_namespaced_pod("nope", "production")
    assert err.value.status == 404
    body = json.loads(err.value.body)
    assert body["kind"] == "Status" and body["reason"] == "NotFound" and body["code"] == 404
    dep = apps.read_namespaced_deployment("api", "production")
    dep.metadata.resource_version = "1"
    with pytest.raises(ApiException) as err:
        apps.replace_namespaced_deployment("api", "production", dep, dry_run="All")
    assert err.value.status == 409 and json.loads(err.value.body)["reason"] == "Conflict"
    with pytest.raises(ApiException) as err:
        apps.patch_namespaced_deployment_scale("api", "production", {"spec": {"replicas": -1}}, dry_run="All")
    assert err.value.status == 422 and json.loads(err.value.body)["reason"] == "Invalid"
    with pytest.raises(ApiException) as err:
        core.read_namespaced_pod_log("nope", "production")
    assert err.value.status == 404
    with pytest.raises(ApiException) as err:
        core.list_namespaced_pod("production", label_selector="app in (")
    assert err.value.status == 400


def test_dry_run_all(sandbox_factory: Callable[..., Sandbox]) -> None:
    sb = sandbox_factory("test001-high-memory", speed=FAST)
    core, apps = sb.core_v1(), sb.apps_v1()
    before = apps.read_namespaced_deployment("api", "production")
    pods_before = sorted(p.metadata.name for p in core.list_namespaced_pod("production").items)
    out = apps.patch_namespaced_deployment("api", "production", RESTART, dry_run="All")
    assert out.spec.template.metadata.annotations["kubectl.kubernetes.io/restartedAt"] == "2026-11-26T18:00:00Z"
    assert out.metadata.generation == before.metadata.generation + 1
    scale = apps.patch_namespaced_deployment_scale("api", "production", {"spec": {"replicas": 7}}, dry_run="All")
    assert scale.spec.replicas == 7
    gone = core.delete_namespaced_pod(pods_before[0], "production", dry_run="All")
    assert gone.metadata.deletion_timestamp is not None
    after = apps.read_namespaced_deployment("api", "production")
    assert after.metadata.resource_version == before.metadata.resource_version
    assert after.spec.replicas == 3 and not (after.spec.template.metadata.annotations or {})
    assert sorted(p.metadata.name for p in core.list_namespaced_pod("production").items) == pods_before
    assert [a["dry_run"] for a in sb.actions] == [True, True, True]


def test_writes_change_the_cluster(sandbox_factory: Callable[..., Sandbox]) -> None:
    sb = sandbox_factory("test001-high-memory", speed=FAST)
    core, apps = sb.core_v1(), sb.apps_v1()
    apps.patch_namespaced_deployment("api", "production", RESTART)  # strategic merge (client default)
    assert sb.wait_rollout("deployment/api", timeout=10)
    assert sb.resolved()
    assert all(p["restarts"] == 0 for p in sb.cluster.pod_summary("deployment/api"))
    # merge patch + JSON patch + scale + delete
    apps.patch_namespaced_deployment("api", "production", [{"op": "replace", "path": "/spec/replicas", "value": 4}])
    assert sb.cluster.wait_for(lambda: len(sb.cluster.workload_pods("deployment/api")) == 4, timeout=5)
    apps.patch_namespaced_deployment_scale("api", "production", {"spec": {"replicas": 2}})
    assert sb.cluster.wait_for(lambda: len(sb.cluster.workload_pods("deployment/api")) == 2, timeout=5)
    scale = apps.read_namespaced_deployment_scale("api", "production")
    scale.spec.replicas = 3
    apps.replace_namespaced_deployment_scale("api", "production", scale)
    assert sb.wait_rollout("deployment/api", timeout=10)
    victim = core.list_namespaced_pod("production", label_selector="app=api").items[0].metadata.name
    core.delete_namespaced_pod(victim, "production")
    assert sb.cluster.wait_for(
        lambda: (
            victim not in {p["name"] for p in sb.cluster.pod_summary("deployment/api")}
            and len(sb.cluster.workload_pods("deployment/api")) == 3
        ),
        timeout=5,
    )
    sts = sandbox_factory("test002-postgres-down", speed=FAST)
    sts.apps_v1().patch_namespaced_stateful_set("postgres", "production", RESTART)
    assert sts.wait_rollout("statefulset/postgres", timeout=10)
    assert sts.resolved()
    sts.apps_v1().patch_namespaced_stateful_set_scale("postgres", "production", {"spec": {"replicas": 2}})
    assert sts.cluster.wait_for(lambda: sts.cluster.get("pods", "postgres-2") is None, timeout=5)


def test_watch_and_kubeconfig(sandbox_factory: Callable[..., Sandbox]) -> None:
    sb = sandbox_factory("test001-high-memory", speed=FAST)
    sb.load_kube_config()
    apps = client.AppsV1Api()
    assert apps.api_client.configuration.host == sb.url
    listed = apps.list_namespaced_deployment("production", field_selector="metadata.name=api")
    assert [d.metadata.name for d in listed.items] == ["api"]
    seen: list[tuple[str, int]] = []

    def restart() -> None:
        client.AppsV1Api(sb.api_client()).patch_namespaced_deployment("api", "production", RESTART)

    timer = threading.Timer(0.2, restart)
    timer.start()
    w = watch.Watch()
    for event in w.stream(
        apps.list_namespaced_deployment,
        "production",
        field_selector="metadata.name=api",
        resource_version=listed.metadata.resource_version,
        timeout_seconds=10,
    ):
        dep = event["object"]
        seen.append((event["type"], int(dep.metadata.resource_version)))
        st = dep.status
        if (
            dep.metadata.generation == 3
            and st.updated_replicas == 3
            and st.available_replicas == 3
            and st.replicas == 3
        ):
            w.stop()
    timer.join()
    assert seen and all(t == "MODIFIED" for t, _ in seen)
    assert [rv for _, rv in seen] == sorted(rv for _, rv in seen)
    config.kube_config.Configuration.set_default(client.Configuration())  # leave no global pointing here
