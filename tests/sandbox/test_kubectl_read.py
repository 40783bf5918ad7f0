"""The real kubectl reading the TEST001 sandbox: get, describe, logs, events, top."""

from __future__ import annotations

import json
import re

import pytest
import yaml

from sandbox.testing import Sandbox

from .conftest import need_kubectl

pytestmark = pytest.mark.usefixtures("kubectl_available")


def ok(sb: Sandbox, *args: str) -> str:
    r = sb.kubectl(*args)
    assert r.returncode == 0, f"kubectl {' '.join(args)} failed: {r.stderr}"
    return r.stdout


def test_kubectl_really_talks_to_the_sandbox(memory_sandbox: Sandbox) -> None:
    need_kubectl()
    out = ok(memory_sandbox, "version", "-o", "json")
    assert json.loads(out)["serverVersion"]["gitVersion"].endswith("sandbox")
    assert "production" in ok(memory_sandbox, "config", "view", "--minify", "-o", "jsonpath={..namespace}")


def test_get_pods_table(memory_sandbox: Sandbox) -> None:
    out = ok(memory_sandbox, "get", "pods", "-l", "app=api")
    lines = out.strip().splitlines()
    assert lines[0].split() == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    rows = [line.split() for line in lines[1:]]
    assert len(rows) == 3 and all(r[0].startswith("api-") for r in rows)
    assert sorted(r[2] for r in rows) == ["CrashLoopBackOff", "Running", "Running"]
    assert all(int(r[3]) >= 6 for r in rows)  # "7 (4m ago)"
    wide = ok(memory_sandbox, "get", "pods", "-o", "wide")
    assert "NODE" in wide.splitlines()[0] and "ip-10-0-" in wide
    labels = ok(memory_sandbox, "get", "pods", "-l", "app in (api)", "--show-labels")
    assert "pod-template-hash=" in labels


def test_get_json_and_yaml(memory_sandbox: Sandbox) -> None:
    data = json.loads(ok(memory_sandbox, "get", "pods", "-l", "app=api", "-o", "json"))
    assert data["kind"] == "List" and len(data["items"]) == 3
    pod = data["items"][0]
    cs = pod["status"]["containerStatuses"][0]
    assert cs["lastState"]["terminated"]["reason"] == "OOMKilled"
    assert cs["lastState"]["terminated"]["exitCode"] == 137
    assert pod["metadata"]["ownerReferences"][0]["kind"] == "ReplicaSet"
    dep = yaml.safe_load(ok(memory_sandbox, "get", "deployment", "api", "-o", "yaml"))
    assert dep["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["memory"] == "2Gi"
    assert dep["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "2"
    assert int(dep["metadata"]["resourceVersion"]) > 0
    name = ok(memory_sandbox, "get", "deploy", "api", "-o", "jsonpath={.metadata.name}")
    assert name == "api"


def test_get_other_resources(memory_sandbox: Sandbox) -> None:
    out = ok(memory_sandbox, "get", "deployments,replicasets,services,statefulsets")
    assert re.search(r"deployment.apps/api\s+2/3\s+3\s+2", out)
    assert "replicaset.apps/api-" in out and "service/api" in out
    nodes = ok(memory_sandbox, "get", "nodes")
    assert nodes.count(" Ready ") == 3
    assert "production" in ok(memory_sandbox, "get", "namespaces")
    assert "api-" in ok(memory_sandbox, "get", "pods", "-A")
    assert "api-" in ok(memory_sandbox, "get", "all")


def test_not_found_is_a_status_error(memory_sandbox: Sandbox) -> None:
    r = memory_sandbox.kubectl("get", "pod", "does-not-exist")
    assert r.returncode == 1
    assert 'Error from server (NotFound): pods "does-not-exist" not found' in r.stderr
    r = memory_sandbox.kubectl("get", "deployment", "nope")
    assert 'deployments.apps "nope" not found' in r.stderr


def test_describe(memory_sandbox: Sandbox) -> None:
    out = ok(memory_sandbox, "describe", "pod", "-l", "app=api")
    assert "Reason:       OOMKilled" in out
    assert "Exit Code:    137" in out
    assert "Back-off restarting failed container api" in out
    assert "Controlled By:  ReplicaSet/api-" in out
    dep = ok(memory_sandbox, "describe", "deployment", "api")
    assert "NewReplicaSet:" in dep and "3 desired" in dep
    node = ok(memory_sandbox, "describe", "node", "ip-10-0-2-37.ec2.internal")
    assert "Non-terminated Pods" in node and "SystemOOM" in node


def test_logs(memory_sandbox: Sandbox) -> None:
    out = ok(memory_sandbox, "logs", "deployment/api")
    assert "OutOfMemoryError" in out and "heap usage" in out
    tail = ok(memory_sandbox, "logs", "deployment/api", "--tail=1")
    assert len(tail.strip().splitlines()) == 1 and "memory leak suspected" in tail
    pod = memory_sandbox.cluster.pods("production", "app=api")[0]["metadata"]["name"]
    prev = ok(memory_sandbox, "logs", pod, "--previous")
    assert "Exception in thread" in prev
    stamped = ok(memory_sandbox, "logs", pod, "--tail=1", "--timestamps")
    assert re.match(r"^\d{4}-\d\d-\d\dT", stamped)
    web = memory_sandbox.cluster.pods("production", "app=web")[0]["metadata"]["name"]
    r = memory_sandbox.kubectl("logs", web, "--previous")
    assert r.returncode == 1 and "previous terminated container" in r.stderr


def test_events(memory_sandbox: Sandbox) -> None:
    out = ok(memory_sandbox, "get", "events")
    assert "BackOff" in out and "Back-off restarting failed container api" in out
    warnings = ok(memory_sandbox, "get", "events", "--field-selector", "type=Warning")
    assert "Normal" not in warnings and "Unhealthy" in warnings
    everywhere = ok(memory_sandbox, "get", "events", "-A")
    assert "SystemOOM" in everywhere
    pod = memory_sandbox.cluster.pods("production", "app=api")[0]["metadata"]["name"]
    out = ok(memory_sandbox, "events", "--for", f"pod/{pod}")
    assert "Back-off restarting failed container api" in out
    # The scale-up of 12 days ago is older than the event TTL (1 h): a cluster no longer lists it.
    assert "ScalingReplicaSet" not in ok(memory_sandbox, "events", "--for", "deployment/api")


def test_top(memory_sandbox: Sandbox) -> None:
    out = ok(memory_sandbox, "top", "pods", "-l", "app=api")
    rows = [line.split() for line in out.strip().splitlines()[1:]]
    assert len(rows) == 3
    assert all(int(r[2].removesuffix("Mi")) > 1800 for r in rows)  # near the 2Gi limit
    nodes = ok(memory_sandbox, "top", "nodes")
    assert ("CPU%" in nodes or "CPU(%)" in nodes) and len(nodes.strip().splitlines()) == 4
    containers = ok(memory_sandbox, "top", "pod", "--containers", "-l", "app=web")
    assert "web" in containers
