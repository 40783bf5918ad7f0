"""The real kubectl changing the sandbox: rollout restart/status/undo, scale, delete, --dry-run=server."""

from __future__ import annotations

import json
import time
from collections.abc import Callable

import pytest

from sandbox.testing import Sandbox, remediation_command

from .conftest import FAST

pytestmark = pytest.mark.usefixtures("kubectl_available")


def ok(sb: Sandbox, *args: str) -> str:
    r = sb.kubectl(*args)
    assert r.returncode == 0, f"kubectl {' '.join(args)} failed: {r.stderr}"
    return r.stdout


def snapshot(sb: Sandbox) -> dict[str, object]:
    """Everything a write could change: object versions and pod names."""
    c = sb.cluster
    return {
        "deployments": {d["metadata"]["name"]: d["metadata"]["resourceVersion"] for d in c.objects("deployments")},
        "replicasets": sorted(r["metadata"]["name"] for r in c.objects("replicasets")),
        "pods": sorted(p["metadata"]["name"] for p in c.pods()),
        "spec": [d["spec"] for d in c.objects("deployments")] + [s["spec"] for s in c.objects("statefulsets")],
    }


def test_rollout_restart_replaces_the_leaking_pods(sandbox_factory: Callable[..., Sandbox]) -> None:
    sb = sandbox_factory("test001-high-memory", speed=FAST)
    old = {p["metadata"]["name"] for p in sb.cluster.workload_pods("deployment/api")}
    assert "deployment.apps/api restarted" in ok(sb, "rollout", "restart", "deployment/api")
    out = ok(sb, "rollout", "status", "deployment/api", "--timeout=20s")
    assert 'deployment "api" successfully rolled out' in out
    pods = sb.cluster.pod_summary("deployment/api")
    assert len(pods) == 3 and not {p["name"] for p in pods} & old
    assert all(p["status"] == "Running" and p["ready"] and p["restarts"] == 0 for p in pods)
    top = ok(sb, "top", "pods", "-l", "app=api")
    assert all(int(line.split()[2].removesuffix("Mi")) < 512 for line in top.strip().splitlines()[1:])
    dep = sb.cluster.get("deployments", "api")
    assert "kubectl.kubernetes.io/restartedAt" in dep["spec"]["template"]["metadata"]["annotations"]
    assert dep["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "3"
    assert sb.resolved()
    patches = [a for a in sb.actions if a["verb"] == "patch" and a["resource"] == "deployments"]
    assert patches[-1]["patch_type"].startswith("application/strategic-merge-patch+json")
    assert not patches[-1]["dry_run"] and patches[-1]["code"] == 200


def test_rollout_undo_uses_replicaset_revisions(sandbox_factory: Callable[..., Sandbox]) -> None:
    sb = sandbox_factory("crashloop-bad-config", speed=FAST)
    history = ok(sb, "rollout", "history", "deployment/payment-gateway")
    assert [line.split()[0] for line in history.strip().splitlines()[2:]] == ["1", "2", "3"]
    assert "rolled back" in ok(sb, "rollout", "undo", "deployment/payment-gateway")
    ok(sb, "rollout", "status", "deployment/payment-gateway", "--timeout=20s")
    dep = sb.cluster.get("deployments", "payment-gateway")
    env = {e["name"]: e["value"] for e in dep["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["CONFIG_FILE"] == "/etc/payment-gateway/settings.yaml"
    assert dep["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "4"
    assert all(p["status"] == "Running" for p in sb.cluster.pod_summary("deployment/payment-gateway"))
    history = ok(sb, "rollout", "history", "deployment/payment-gateway")
    assert [line.split()[0] for line in history.strip().splitlines()[2:]] == ["1", "3", "4"]
    undo = [a for a in sb.actions if a["verb"] == "patch"][-1]
    assert undo["patch_type"] == "application/json-patch+json"
    # undo to an explicit revision
    ok(sb, "rollout", "undo", "deployment/payment-gateway", "--to-revision=1")
    assert sb.wait_rollout("deployment/payment-gateway", timeout=10)
    image = sb.cluster.get("deployments", "payment-gateway")["spec"]["template"]["spec"]["containers"][0]["image"]
    assert image.endswith(":3.8.7")


def test_rollout_status_reports_a_stuck_rollout(sandbox_factory: Callable[..., Sandbox]) -> None:
    sb = sandbox_factory("crashloop-bad-config", speed=FAST)
    ok(sb, "rollout", "restart", "deployment/payment-gateway")
    start = time.time()
    r = sb.kubectl("rollout", "status", "deployment/payment-gateway", "--timeout=20s")
    assert r.returncode == 1
    assert 'deployment "payment-gateway" exceeded its progress deadline' in r.stderr
    assert time.time() - start < 10
    assert {p["status"] for p in sb.cluster.pod_summary("deployment/payment-gateway")} <= {
        "CrashLoopBackOff",
        "ContainerCreating",
    }


def test_statefulset_restart_and_status(sandbox_factory: Callable[..., Sandbox]) -> None:
    sb = sandbox_factory("test002-postgres-down", speed=FAST)
    assert "restarted" in ok(sb, "rollout", "restart", "statefulset/postgres")
    out = ok(sb, "rollout", "status", "statefulset/postgres", "--timeout=20s")
    assert "roll out complete" in out
    pods = sb.cluster.pod_summary("statefulset/postgres")
    assert [p["name"] for p in pods] == ["postgres-0", "postgres-1", "postgres-2"]
    assert all(p["status"] == "Running" and p["restarts"] == 0 for p in pods)
    assert "ready to accept connections" in ok(sb, "logs", "postgres-0")
    assert "streaming WAL" in ok(sb, "logs", "postgres-2")
    events = ok(sb, "get", "events", "--field-selector", "involvedObject.kind=StatefulSet")
    assert "delete Pod postgres-2 in StatefulSet postgres successful" in events


def test_scale(sandbox_factory: Callable[..., Sandbox]) -> None:
    sb = sandbox_factory("false-alarm", speed=FAST)
    assert "scaled" in ok(sb, "scale", "deployment/checkout", "--replicas=6")
    assert sb.cluster.wait_for(lambda: len(sb.cluster.workload_pods("deployment/checkout")) == 6, timeout=5)
    ok(sb, "rollout", "status", "deployment/checkout", "--timeout=20s")
    ok(sb, "scale", "deployment/checkout", "--replicas=2")
    assert sb.cluster.wait_for(lambda: len(sb.cluster.workload_pods("deployment/checkout")) == 2, timeout=5)
    r = sb.kubectl("scale", "deployment/checkout", "--replicas=5", "--current-replicas=3")
    assert r.returncode == 1
    scale = [a for a in sb.actions if a["subresource"] == "scale"]
    assert scale and scale[0]["body"] == {"spec": {"replicas": 6}}


def test_delete_pod_is_recreated(sandbox_factory: Callable[..., Sandbox]) -> None:
    sb = sandbox_factory("test002-postgres-down", speed=FAST)
    old_uid = sb.cluster.get("pods", "postgres-1")["metadata"]["uid"]
    assert 'pod "postgres-1" deleted' in ok(sb, "delete", "pod", "postgres-1")
    assert sb.cluster.wait_for(
        lambda: (
            (p := sb.cluster.get("pods", "postgres-1")) is not None
            and p["metadata"]["uid"] != old_uid
            and sb.cluster.pod_summary("pod/postgres-1")[0]["ready"]
        ),
        timeout=5,
    )
    # only the recreated replica is healthy
    assert [p["ready"] for p in sb.cluster.pod_summary("statefulset/postgres")] == [False, True, False]
    assert not sb.resolved()
    dsb = sandbox_factory("test001-high-memory", speed=FAST)
    victim = sorted(p["metadata"]["name"] for p in dsb.cluster.workload_pods("deployment/api"))[0]
    ok(dsb, "delete", "pod", victim)
    assert dsb.cluster.wait_for(lambda: len(dsb.cluster.workload_pods("deployment/api")) == 3, timeout=5)
    assert victim not in {p["name"] for p in dsb.cluster.pod_summary("deployment/api")}


DRY_RUNS = [
    ("test001-high-memory", ["scale", "deployment/api", "--replicas=5"], "scaled (server dry run)"),
    ("test001-high-memory", ["delete", "pod", "-l", "app=api"], "deleted (server dry run)"),
    ("test001-high-memory", ["rollout", "undo", "deployment/api"], "rolled back (server dry run)"),
    (
        "test001-high-memory",
        remediation_command("rollout restart", "deployment/api", "production", dry_run=True),
        "patched",
    ),
    (
        "test001-high-memory",
        ["set", "image", "deployment/api", "api=registry.example.com/shop/api:9.9.9"],
        "image updated (server dry run)",
    ),
    ("test001-high-memory", ["annotate", "deployment/api", "owner=sre"], "annotated (server dry run)"),
    ("test001-high-memory", ["expose", "deployment/api", "--port=8081", "--name=api2"], "exposed (server dry run)"),
    ("test001-high-memory", ["run", "debug", "--image=busybox:1.36"], "created (server dry run)"),
    ("test002-postgres-down", ["scale", "statefulset/postgres", "--replicas=5"], "scaled (server dry run)"),
    ("test002-postgres-down", ["delete", "pod", "postgres-0"], "deleted (server dry run)"),
    (
        "test002-postgres-down",
        remediation_command("rollout restart", "statefulset/postgres", "production", dry_run=True),
        "patched",
    ),
]


def test_server_dry_run_changes_nothing(sandbox_factory: Callable[..., Sandbox]) -> None:
    sandboxes: dict[str, Sandbox] = {}
    for scenario, args, expect in DRY_RUNS:
        sb = sandboxes.get(scenario) or sandboxes.setdefault(scenario, sandbox_factory(scenario, speed=FAST))
        before = snapshot(sb)
        full = [*args] if "--dry-run=server" in args else [*args, "--dry-run=server"]
        out = ok(sb, *full)
        assert expect in out, out
        time.sleep(0.05)
        assert snapshot(sb) == before, f"kubectl {' '.join(full)} changed the cluster"
        assert sb.actions[-1]["dry_run"] is True
    # the would-be object comes back
    sb = sandboxes["test001-high-memory"]
    out = ok(sb, "set", "image", "deployment/api", "api=x:1", "--dry-run=server", "-o", "json")
    assert json.loads(out)["spec"]["template"]["spec"]["containers"][0]["image"] == "x:1"
    assert sb.cluster.get("deployments", "api")["spec"]["replicas"] == 3


def test_invalid_writes_are_rejected(sandbox_factory: Callable[..., Sandbox]) -> None:
    sb = sandbox_factory("test001-high-memory", speed=FAST)
    r = sb.kubectl("patch", "deployment/api", "-p", '{"spec":{"replicas":-2}}', "--dry-run=server")
    assert r.returncode == 1 and "Invalid value: -2" in r.stderr and "is invalid" in r.stderr
    r = sb.kubectl(
        "patch",
        "deployment/api",
        "--type=json",
        "-p",
        '[{"op":"replace","path":"/spec/template/metadata/labels","value":{"app":"other"}}]',
    )
    assert r.returncode == 1 and "does not match" in r.stderr
    r = sb.kubectl("rollout", "restart", "deployment/nope")
    assert r.returncode == 1 and 'deployments.apps "nope" not found' in r.stderr
    assert sb.cluster.get("deployments", "api")["spec"]["replicas"] == 3


def test_apply_client_and_server_side(sandbox_factory: Callable[..., Sandbox], tmp_path) -> None:
    sb = sandbox_factory("test001-high-memory", speed=FAST)
    manifest = tmp_path / "cm.yaml"
    manifest.write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: flags, namespace: production}\ndata: {leak_guard: 'on'}\n"
    )
    assert "configmap/flags created" in ok(sb, "apply", "-f", str(manifest))
    assert "configmap/flags unchanged" in ok(sb, "apply", "-f", str(manifest))
    manifest.write_text(manifest.read_text().replace("'on'", "'off'"))
    assert "serverside-applied" in ok(sb, "apply", "--server-side", "-f", str(manifest))
    assert sb.cluster.get("configmaps", "flags")["data"] == {"leak_guard": "off"}
    # a deployment manifest with the previous revision's env, server dry run first
    dep = sb.cluster.get("deployments", "api")
    before = dep["metadata"]["resourceVersion"]
    env = dep["spec"]["template"]["spec"]["containers"][0]["env"]
    env[1]["value"] = "900"
    manifest.write_text(
        json.dumps(
            {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": {"name": "api", "namespace": "production"},
                "spec": {"replicas": 3, "selector": dep["spec"]["selector"], "template": dep["spec"]["template"]},
            }
        )
    )
    assert "(server dry run)" in ok(sb, "apply", "-f", str(manifest), "--dry-run=server")
    assert sb.cluster.get("deployments", "api")["metadata"]["resourceVersion"] == before
    ok(sb, "apply", "-f", str(manifest))
    ok(sb, "rollout", "status", "deployment/api", "--timeout=20s")
    assert sb.resolved()
