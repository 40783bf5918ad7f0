"""The real kubectl listing pods of every namespace (``get pods -A``): the cluster-wide GET /api/v1/pods.

What an SRE types first when an incident names no namespace, and what the offline model sends.
The scenario is TEST001 plus a crash-looping CoreDNS in kube-system, so two namespaces have pods.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from sandbox.scenarios import SCENARIO_DIR, parse_scenario
from sandbox.testing import Sandbox, running_sandbox

from .conftest import FAST, need_kubectl

TABLE = (
    "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json"
)


def two_namespaces() -> Any:
    doc = yaml.safe_load((SCENARIO_DIR / "test001-high-memory.yaml").read_text())
    doc["profiles"]["dns-crashing"] = {"status": "CrashLoopBackOff", "healthy": False, "restarts": 12}
    doc["workloads"].append(
        {
            "kind": "Deployment",
            "name": "coredns",
            "namespace": "kube-system",
            "replicas": 2,
            "labels": {"k8s-app": "kube-dns"},
            "containers": [{"name": "coredns", "image": "registry.k8s.io/coredns/coredns:v1.11.1"}],
            "pods": [{"profile": "dns-crashing"}],
        }
    )
    return parse_scenario(doc)


@pytest.fixture(scope="module")
def cluster() -> Iterator[Sandbox]:
    need_kubectl()  # a missing kubectl fails these tests; it never passes for green
    with running_sandbox(two_namespaces(), speed=FAST) as sb:
        yield sb


def kubectl(sb: Sandbox, *args: str) -> tuple[str, str]:
    r = sb.kubectl(*args)
    assert r.returncode == 0, f"kubectl {' '.join(args)} failed: {r.stderr}"
    return r.stdout, r.stderr


def test_get_pods_all_namespaces_is_one_cluster_wide_table_request(cluster: Sandbox) -> None:
    out, log = kubectl(cluster, "get", "pods", "-A", "-v=6")
    lines = out.strip().splitlines()
    assert lines[0].split() == ["NAMESPACE", "NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    rows = [line.split() for line in lines[1:]]
    assert {r[0] for r in rows} == {"kube-system", "production"}
    assert len(rows) == len(cluster.cluster.pods())
    dns = [r for r in rows if r[0] == "kube-system"]
    assert len(dns) == 2 and all(r[1].startswith("coredns-") and r[3] == "CrashLoopBackOff" for r in dns)
    api = [r for r in rows if r[1].startswith("api-")]
    assert sorted(r[3] for r in api) == ["CrashLoopBackOff", "Running", "Running"]
    # One request, to the cluster-wide collection (not one per namespace), answered 200.
    requests = [line for line in log.splitlines() if "/pods" in line and " GET " in f" {line} "]
    assert len(requests) == 1 and f"GET {cluster.url}/api/v1/pods?" in requests[0] and "200 OK" in requests[0]


def test_get_pods_all_namespaces_json(cluster: Sandbox) -> None:
    for flag in ("-A", "--all-namespaces"):
        out, _ = kubectl(cluster, "get", "pods", flag, "-o", "json")
        data = json.loads(out)
        assert data["kind"] == "List"
        by_ns: dict[str, list[str]] = {}
        for pod in data["items"]:
            assert pod["kind"] == "Pod"
            by_ns.setdefault(pod["metadata"]["namespace"], []).append(pod["metadata"]["name"])
        assert sorted(by_ns) == ["kube-system", "production"]
        assert len(by_ns["kube-system"]) == 2 and len(by_ns["production"]) == 5
        owners = {p["metadata"]["ownerReferences"][0]["kind"] for p in data["items"]}
        assert owners == {"ReplicaSet"}


def test_all_namespaces_with_a_selector_and_wide_output(cluster: Sandbox) -> None:
    out, _ = kubectl(cluster, "get", "pods", "-A", "-l", "k8s-app=kube-dns", "-o", "wide")
    lines = out.strip().splitlines()
    assert lines[0].split()[:2] == ["NAMESPACE", "NAME"] and "NODE" in lines[0]
    assert [line.split()[0] for line in lines[1:]] == ["kube-system", "kube-system"]


def test_the_cluster_wide_list_over_http(cluster: Sandbox) -> None:
    def get(accept: str) -> dict[str, Any]:
        req = urllib.request.Request(cluster.url + "/api/v1/pods?limit=500", headers={"Accept": accept})
        with urllib.request.urlopen(req, timeout=5) as resp:
            assert resp.status == 200
            return dict(json.loads(resp.read()))

    table = get(TABLE)
    assert table["kind"] == "Table" and table["apiVersion"] == "meta.k8s.io/v1"
    assert [c["name"] for c in table["columnDefinitions"]][:2] == ["Name", "Ready"]
    # kubectl's NAMESPACE column comes from each row's object metadata.
    assert {r["object"]["metadata"]["namespace"] for r in table["rows"]} == {"kube-system", "production"}
    plain = get("application/json")
    assert plain["kind"] == "PodList" and len(plain["items"]) == len(table["rows"])
