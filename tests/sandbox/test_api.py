"""The HTTP surface itself: discovery, tables, watch, Status errors, resourceVersion, dry runs."""

from __future__ import annotations

import http.client
import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

import pytest

from sandbox.server import SandboxServer
from sandbox.testing import Sandbox

from .conftest import FAST

TABLE = (
    "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json"
)


def call(
    sb: Sandbox,
    method: str,
    path: str,
    body: Any = None,
    ctype: str = "application/json",
    accept: str = "application/json",
) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(
        sb.url + path, data=data, method=method, headers={"Content-Type": ctype, "Accept": accept}
    )
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:
            raw = resp.read()
            return resp.status, json.loads(raw) if resp.headers.get_content_type() == "application/json" else raw
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def test_discovery(memory_sandbox: Sandbox) -> None:
    assert call(memory_sandbox, "GET", "/version")[1]["major"] == "1"
    assert call(memory_sandbox, "GET", "/api")[1]["versions"] == ["v1"]
    groups = call(memory_sandbox, "GET", "/apis")[1]
    assert {g["name"] for g in groups["groups"]} == {
        "apps",
        "discovery.k8s.io",
        "events.k8s.io",
        "metrics.k8s.io",
        "storage.k8s.io",
    }
    core = call(memory_sandbox, "GET", "/api/v1")[1]
    names = {r["name"] for r in core["resources"]}
    assert {"pods", "pods/log", "namespaces", "nodes", "events", "services", "configmaps"} <= names
    apps = call(memory_sandbox, "GET", "/apis/apps/v1")[1]
    scale = next(r for r in apps["resources"] if r["name"] == "deployments/scale")
    assert scale["kind"] == "Scale" and scale["group"] == "autoscaling"
    metrics = call(memory_sandbox, "GET", "/apis/metrics.k8s.io/v1beta1")[1]
    assert {r["kind"] for r in metrics["resources"]} == {"PodMetrics", "NodeMetrics"}
    root = call(memory_sandbox, "GET", "/openapi/v3")[1]
    assert set(root["paths"]) == {
        "api/v1",
        "apis/apps/v1",
        "apis/discovery.k8s.io/v1",
        "apis/events.k8s.io/v1",
        "apis/storage.k8s.io/v1",
    }
    doc = call(memory_sandbox, "GET", "/" + root["paths"]["apis/apps/v1"]["serverRelativeURL"].lstrip("/"))[1]
    patch = doc["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]["patch"]
    assert patch["x-kubernetes-group-version-kind"]["kind"] == "Deployment"
    assert "fieldValidation" in {p["name"] for p in patch["parameters"]}
    for path in ("/openapi/v2", "/openapi/v3/apis/batch/v1", "/apis/batch/v1", "/api/v2", "/api/v1/widgets"):
        code, body = call(memory_sandbox, "GET", path)
        assert code == 404 and body["kind"] == "Status"
    assert call(memory_sandbox, "GET", "/healthz")[1] == b"ok"


def test_tables_and_lists(memory_sandbox: Sandbox) -> None:
    code, table = call(
        memory_sandbox, "GET", "/api/v1/namespaces/production/pods?labelSelector=app%3Dapi", accept=TABLE
    )
    assert code == 200 and table["kind"] == "Table"
    assert [c["name"] for c in table["columnDefinitions"]][:5] == ["Name", "Ready", "Status", "Restarts", "Age"]
    assert len(table["rows"]) == 3
    assert table["rows"][0]["object"]["kind"] == "PartialObjectMetadata"
    code, lst = call(memory_sandbox, "GET", "/apis/apps/v1/namespaces/production/deployments")
    assert lst["kind"] == "DeploymentList" and int(lst["metadata"]["resourceVersion"]) > 0
    code, one = call(memory_sandbox, "GET", "/apis/apps/v1/namespaces/production/deployments/api", accept=TABLE)
    assert one["kind"] == "Table" and one["rows"][0]["cells"][0] == "api"
    code, lst = call(memory_sandbox, "GET", "/api/v1/pods?fieldSelector=metadata.namespace%3Dproduction")
    assert len(lst["items"]) == 5
    code, lst = call(memory_sandbox, "GET", "/api/v1/namespaces/production/pods?labelSelector=tier%20notin%20(backend)")
    assert {p["metadata"]["labels"]["app"] for p in lst["items"]} == {"web"}
    code, m = call(memory_sandbox, "GET", "/apis/metrics.k8s.io/v1beta1/nodes")
    assert m["kind"] == "NodeMetricsList" and len(m["items"]) == 3


def test_writes_and_errors(sandbox_factory: Callable[..., Sandbox]) -> None:
    sb = sandbox_factory("false-alarm", speed=FAST)
    base = "/apis/apps/v1/namespaces/production/deployments"
    dep = call(sb, "GET", f"{base}/checkout")[1]
    rv = dep["metadata"]["resourceVersion"]
    # merge patch with a stale resourceVersion -> 409
    code, st = call(
        sb,
        "PATCH",
        f"{base}/checkout",
        {"metadata": {"resourceVersion": "1"}, "spec": {"replicas": 5}},
        ctype="application/merge-patch+json",
    )
    assert code == 409 and st["reason"] == "Conflict"
    # invalid dryRun value -> 400; invalid object -> 422 with causes
    code, st = call(
        sb, "PATCH", f"{base}/checkout?dryRun=Yes", {"spec": {"replicas": 1}}, ctype="application/merge-patch+json"
    )
    assert code == 400
    code, st = call(
        sb,
        "PATCH",
        f"{base}/checkout?dryRun=All",
        {"spec": {"template": {"spec": {"containers": [{"name": "checkout", "image": ""}]}}}},
        ctype="application/merge-patch+json",
    )
    assert code == 422 and st["details"]["causes"][0]["field"].endswith("image")
    code, st = call(
        sb,
        "PATCH",
        f"{base}/checkout",
        {"spec": {"selector": {"matchLabels": {"app": "x"}}}},
        ctype="application/merge-patch+json",
    )
    assert code == 422 and ("field is immutable" in st["message"] or "does not match" in st["message"])
    code, _ = call(sb, "PATCH", f"{base}/checkout", {"x": 1}, ctype="text/plain")
    assert code == 415
    assert call(sb, "GET", f"{base}/checkout")[1]["metadata"]["resourceVersion"] == rv
    # PUT with the current resourceVersion works and bumps it
    dep["spec"]["replicas"] = 5
    code, out = call(sb, "PUT", f"{base}/checkout", dep)
    assert code == 200 and int(out["metadata"]["resourceVersion"]) > int(rv)
    assert out["metadata"]["generation"] == dep["metadata"]["generation"] + 1
    # create: 201, then 409 AlreadyExists; a dry-run create stores nothing
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "flags"}, "data": {"a": "1"}}
    assert call(sb, "POST", "/api/v1/namespaces/production/configmaps?dryRun=All", cm)[0] == 201
    assert call(sb, "GET", "/api/v1/namespaces/production/configmaps/flags")[0] == 404
    assert call(sb, "POST", "/api/v1/namespaces/production/configmaps", cm)[0] == 201
    code, st = call(sb, "POST", "/api/v1/namespaces/production/configmaps", cm)
    assert code == 409 and st["reason"] == "AlreadyExists"
    code, st = call(sb, "POST", "/api/v1/namespaces/nowhere/configmaps", cm)
    assert code == 404
    code, st = call(sb, "DELETE", "/api/v1/namespaces/production/configmaps/flags")
    assert code == 200 and st["status"] == "Success"
    assert call(sb, "DELETE", "/api/v1/namespaces/production/configmaps/flags")[0] == 404
    # a deployment created through the API gets a ReplicaSet and pods
    new = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "echo"},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": "echo"}},
            "template": {
                "metadata": {"labels": {"app": "echo"}},
                "spec": {"containers": [{"name": "echo", "image": "echo:1"}]},
            },
        },
    }
    assert call(sb, "POST", base, new)[0] == 201
    assert sb.wait_rollout("deployment/echo", timeout=5)
    assert call(sb, "DELETE", f"{base}/echo")[0] == 200
    assert sb.cluster.wait_for(lambda: not sb.cluster.pods("production", "app=echo"), timeout=5)


def read_watch(sb: Sandbox, path: str, until: Callable[[dict], bool], timeout: float = 5) -> list[dict]:
    conn = http.client.HTTPConnection("127.0.0.1", sb.port, timeout=timeout)
    conn.request("GET", path)
    resp = conn.getresponse()
    assert resp.status == 200 and resp.getheader("Transfer-Encoding") == "chunked"
    events = []
    deadline = time.time() + timeout
    while time.time() < deadline:
        line = resp.readline()
        if not line:
            break
        events.append(json.loads(line))
        if until(events[-1]):
            break
    conn.close()
    return events


def test_watch_streams_changes_from_a_resource_version(sandbox_factory: Callable[..., Sandbox]) -> None:
    sb = sandbox_factory("test001-high-memory", speed=FAST)
    lst = call(sb, "GET", "/apis/apps/v1/namespaces/production/deployments?fieldSelector=metadata.name%3Dapi")[1]
    rv = lst["metadata"]["resourceVersion"]
    call(
        sb,
        "PATCH",
        "/apis/apps/v1/namespaces/production/deployments/api",
        {"spec": {"template": {"metadata": {"annotations": {"kubectl.kubernetes.io/restartedAt": "x"}}}}},
        ctype="application/strategic-merge-patch+json",
    )

    def done(ev: dict) -> bool:
        st = ev["object"].get("status", {})
        return st.get("updatedReplicas") == 3 and st.get("availableReplicas") == 3 and st.get("replicas") == 3

    events = read_watch(
        sb,
        "/apis/apps/v1/namespaces/production/deployments?watch=true&fieldSelector="
        f"metadata.name%3Dapi&resourceVersion={rv}&timeoutSeconds=10",
        done,
    )
    assert events and {e["type"] for e in events} == {"MODIFIED"} and done(events[-1])
    assert all(e["object"]["metadata"]["name"] == "api" for e in events)
    # without resourceVersion: the current objects first, as ADDED
    first = read_watch(
        sb,
        "/api/v1/namespaces/production/pods?watch=1&labelSelector=app%3Dweb&timeoutSeconds=1",
        lambda ev: False,
        timeout=3,
    )
    assert [e["type"] for e in first] == ["ADDED", "ADDED"]
    # a resourceVersion older than the history -> 410 Gone
    sb.cluster.history.clear()
    code, st = call(sb, "GET", "/api/v1/namespaces/production/pods?watch=true&resourceVersion=5")
    assert code == 410 and st["reason"] == "Expired"


def test_loopback_only() -> None:
    with pytest.raises(ValueError):
        SandboxServer(None, host="0.0.0.0")  # type: ignore[arg-type]
