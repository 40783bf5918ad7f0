"""What kubectl shows of a sandbox cluster is what a real cluster would show: Secrets served (their
values only base64 under data, sizes in describe), a missing Secret failing the container the way
the kubelet fails it, no start events for containers that never started, last terminations at the
times of the real restarts, events gone an hour after their last write, and pod rules that read
pod-level fields of a revision."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from typing import Any

import pytest
import yaml

from sandbox.apimachinery.units import parse_time
from sandbox.scenarios import Scenario, parse_scenario
from sandbox.testing import Sandbox

from .conftest import FAST

pytestmark = pytest.mark.usefixtures("kubectl_available")

PASSWORD = "hunter2-correct-horse"  # a test value that must never be printed

BASE = """
name: truth
namespace: shop
incident:
  event:
    incident:
      id: T1
      title: orders down
      service: {name: orders}
      urgency: high
      html_url: https://example.pagerduty.com/incidents/T1
      custom_details: {namespace: shop, resource: deployment/orders}
expected: {severity: high, root_cause: {all: [secret]}, action: null, outcome: escalate}
secrets:
  - {name: orders-db, namespace: shop, data: {username: orders, password: PASSWORD}}
profiles:
  healthy: {status: Running}
  crashing: {status: CrashLoopBackOff, restarts: 4, exit_code: 1, started_ago: 3m, age: 50m}
workloads:
  - kind: Deployment
    name: orders
    replicas: 1
    labels: {app: orders}
    containers:
      - name: orders
        image: registry.example.com/shop/orders:2.0.0
        env:
          - {name: DB_PASSWORD, valueFrom: {secretKeyRef: {name: orders-db-v2, key: password}}}
  - kind: Deployment
    name: cart
    replicas: 2
    labels: {app: cart}
    containers:
      - name: cart
        image: registry.example.com/shop/cart:1.0.0
        env:
          - {name: DB_PASSWORD, valueFrom: {secretKeyRef: {name: orders-db, key: password}}}
  - kind: Deployment
    name: worker
    replicas: 1
    labels: {app: worker}
    containers: [{name: worker, image: registry.example.com/shop/worker:1.0.0}]
    pods: [{profile: crashing}]
services:
  - {name: cart, namespace: shop, selector: {app: cart}, ports: [{port: 80, targetPort: 8080}]}
events:
  - {namespace: shop, object: deployment/cart, type: Normal, reason: ScalingReplicaSet, message: "old news", ago: 2h}
  - {namespace: shop, object: deployment/cart, type: Normal, reason: ScalingReplicaSet, message: "recent", ago: 10m}
""".replace("PASSWORD", PASSWORD)


def scenario(text: str = BASE, **changes: Any) -> Scenario:
    doc = yaml.safe_load(text)
    doc.update(changes)
    return parse_scenario(doc)


def _pods(sb: Sandbox, app: str) -> list[dict[str, Any]]:
    out = sb.kubectl("get", "pods", "-n", "shop", "-l", f"app={app}", "-o", "json")
    assert out.returncode == 0, out.stderr
    return list(json.loads(out.stdout)["items"])


def _events_of(sb: Sandbox, pod: str) -> list[dict[str, Any]]:
    out = sb.kubectl("get", "events", "-n", "shop", "--field-selector", f"involvedObject.name={pod}", "-o", "json")
    assert out.returncode == 0, out.stderr
    return list(json.loads(out.stdout)["items"])


def _create_secret(sb: Sandbox, name: str, data: dict[str, str]) -> None:
    """``kubectl apply`` of a Secret (``kubectl create secret`` speaks protobuf, which the sandbox does not)."""
    path = f"{sb.workdir}/{name}.yaml"
    with open(path, "w") as f:
        yaml.safe_dump({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name}, "stringData": data}, f)
    out = sb.kubectl("apply", "-n", "shop", "-f", path)
    assert out.returncode == 0, out.stderr


def test_kubectl_lists_and_describes_secrets_with_sizes_only(sandbox_factory: Callable[..., Sandbox]) -> None:
    sb = sandbox_factory(scenario(), speed=FAST)
    table = sb.kubectl("get", "secrets", "-n", "shop")
    assert table.returncode == 0, table.stderr
    assert table.stdout.split("\n")[0].split() == ["NAME", "TYPE", "DATA", "AGE"]
    assert table.stdout.split("\n")[1].split()[:3] == ["orders-db", "Opaque", "2"]
    described = sb.kubectl("describe", "secret", "orders-db", "-n", "shop")
    assert described.returncode == 0, described.stderr
    assert f"password:  {len(PASSWORD)} bytes" in described.stdout
    assert PASSWORD not in described.stdout
    # The API holds the value base64-encoded, as a real API server does (the product's own code reads it).
    raw = json.loads(sb.kubectl("get", "secret", "orders-db", "-n", "shop", "-o", "json").stdout)
    assert base64.b64decode(raw["data"]["password"]).decode() == PASSWORD
    missing = sb.kubectl("get", "secret", "orders-db-v2", "-n", "shop")
    assert missing.returncode != 0 and 'secrets "orders-db-v2" not found' in missing.stderr


def test_a_missing_secret_is_a_create_container_config_error_until_it_exists(
    sandbox_factory: Callable[..., Sandbox],
) -> None:
    sb = sandbox_factory(scenario(), speed=FAST)
    [pod] = _pods(sb, "orders")
    waiting = pod["status"]["containerStatuses"][0]["state"]["waiting"]
    assert waiting == {"reason": "CreateContainerConfigError", "message": 'secret "orders-db-v2" not found'}
    assert sb.kubectl("get", "pods", "-n", "shop", "-l", "app=orders").stdout.split("\n")[1].split()[2] == (
        "CreateContainerConfigError"
    )
    events = _events_of(sb, pod["metadata"]["name"])
    failed = [e for e in events if e["reason"] == "Failed"]
    assert [e["message"] for e in failed] == ['Error: secret "orders-db-v2" not found'] and failed[0]["count"] > 1
    assert not {"Created", "Started"} & {e["reason"] for e in events}
    # The cart pods, whose Secret exists, run.
    assert all(p["status"]["phase"] == "Running" for p in _pods(sb, "cart"))

    # A key the Secret does not have is the kubelet's other message.
    _create_secret(sb, "orders-db-v2", {"user": "x"})
    assert sb.cluster.wait_for(
        lambda: (
            "couldn't find key password in Secret shop/orders-db-v2"
            in json.dumps(sb.cluster.pods("shop", "app=orders"))
        )
    )
    # Once the Secret has the key, the kubelet starts the container: now it is Created and Started.
    sb.kubectl("delete", "secret", "orders-db-v2", "-n", "shop")
    _create_secret(sb, "orders-db-v2", {"password": PASSWORD})
    assert sb.cluster.wait_for(lambda: sb.cluster.pods("shop", "app=orders")[0]["status"]["phase"] == "Running")
    reasons = {e["reason"] for e in _events_of(sb, pod["metadata"]["name"])}
    assert {"Created", "Started"} <= reasons


def test_a_missing_secret_volume_keeps_the_pod_container_creating(sandbox_factory: Callable[..., Sandbox]) -> None:
    doc = yaml.safe_load(BASE)
    doc["workloads"][0]["containers"][0].pop("env")
    doc["workloads"][0]["volumes"] = [{"name": "tls", "secret": {"secretName": "orders-tls"}}]
    sb = sandbox_factory(parse_scenario(doc), speed=FAST)
    [pod] = _pods(sb, "orders")
    assert pod["status"]["containerStatuses"][0]["state"]["waiting"]["reason"] == "ContainerCreating"
    events = _events_of(sb, pod["metadata"]["name"])
    assert [e["message"] for e in events if e["reason"] == "FailedMount"] == [
        'MountVolume.SetUp failed for volume "tls" : secret "orders-tls" not found'
    ]


def test_a_scenario_without_secrets_reads_secret_references_as_before(sandbox_factory: Callable[..., Sandbox]) -> None:
    doc = yaml.safe_load(BASE)
    doc.pop("secrets")
    sb = sandbox_factory(parse_scenario(doc), speed=FAST)
    assert sb.cluster.wait_for(lambda: sb.cluster.pods("shop", "app=orders")[0]["status"]["phase"] == "Running")


@pytest.mark.parametrize(
    "profile",
    [
        {"status": "ImagePullBackOff", "message": 'Back-off pulling image "x"'},
        {"status": "CreateContainerConfigError", "message": 'secret "s" not found'},
        {"status": "Pending", "message": "0/3 nodes are available: 3 Insufficient memory."},
    ],
    ids=["ImagePullBackOff", "CreateContainerConfigError", "Pending"],
)
def test_containers_that_never_started_have_no_created_or_started_events(
    sandbox_factory: Callable[..., Sandbox], profile: dict[str, Any]
) -> None:
    doc = yaml.safe_load(BASE)
    doc["profiles"]["broken"] = profile
    doc["workloads"][2]["pods"] = [{"when": {"initial": True}, "profile": "healthy"}, {"profile": "broken"}]
    sb = sandbox_factory(parse_scenario(doc), speed=FAST)
    before = {p["metadata"]["name"] for p in _pods(sb, "worker")}
    assert sb.kubectl("rollout", "restart", "deployment/worker", "-n", "shop").returncode == 0
    assert sb.cluster.wait_for(
        lambda: any(p["metadata"]["name"] not in before for p in sb.cluster.pods("shop", "app=worker"))
    )
    new = next(
        p["metadata"]["name"] for p in sb.cluster.pods("shop", "app=worker") if p["metadata"]["name"] not in before
    )
    # Give the kubelet the time it takes to start a container that can start, and more.
    assert not sb.cluster.wait_for(
        lambda: any(
            e["reason"] in ("Created", "Started")
            for e in sb.cluster.events("shop")
            if e["involvedObject"]["name"] == new
        ),
        timeout=1.0,
    )
    assert sb.cluster.pods("shop", "app=worker")  # the pod is still there, in its state


def test_last_state_times_follow_the_container_restarts(sandbox_factory: Callable[..., Sandbox]) -> None:
    sb = sandbox_factory(scenario(), speed=FAST)

    def last_state() -> tuple[int, dict[str, Any]]:
        # The API object (kubectl is a separate process; wait_for holds the cluster's lock).
        [pod] = sb.cluster.pods("shop", "app=worker")
        cs = pod["status"]["containerStatuses"][0]
        return int(cs["restartCount"]), cs["lastState"]["terminated"]

    restarts, term = last_state()
    created = parse_time(_pods(sb, "worker")[0]["metadata"]["creationTimestamp"])
    started, finished = parse_time(term["startedAt"]), parse_time(term["finishedAt"])
    assert created is not None and started is not None and finished is not None
    # The profile's pod is 50 minutes old and last restarted 3 minutes ago.
    assert abs(time.time() - 180 - finished) < 5
    assert created <= started < finished
    assert sb.cluster.wait_for(lambda: last_state()[0] > restarts, timeout=8)
    _, term2 = last_state()
    # The new last termination is now; the container it ended started at the previous one.
    assert abs(parse_time(term2["finishedAt"]) - time.time()) < 3  # type: ignore[operator]
    assert term2["startedAt"] == term["finishedAt"]
    assert term2["containerID"] != term["containerID"]


def test_events_expire_an_hour_after_their_last_write(sandbox_factory: Callable[..., Sandbox]) -> None:
    sb = sandbox_factory(scenario(), speed=FAST)
    out = sb.kubectl("get", "events", "-n", "shop", "--field-selector", "involvedObject.name=cart", "-o", "json")
    messages = [e["message"] for e in json.loads(out.stdout)["items"]]
    assert messages == ["recent"]
    # An hour later by the cluster's clock, the recent one is gone too.
    real_now = sb.cluster.ctx.now
    sb.cluster.ctx.now = lambda: real_now() + 3600  # type: ignore[method-assign]
    assert sb.cluster.wait_for(
        lambda: not [e for e in sb.cluster.events("shop") if e["involvedObject"]["name"] == "cart"], timeout=3
    )


REVISIONS = """
  - kind: Deployment
    name: api
    replicas: 2
    labels: {app: api}
    containers:
      - name: api
        image: registry.example.com/shop/api:3.1.0
        resources: {limits: {memory: 256Mi}}
        livenessProbe: {httpGet: {path: /healthz, port: 8080}, initialDelaySeconds: 5}
    history:
      - change_cause: "deploy #40"
        pod_spec: {imagePullSecrets: [{name: regcred}]}
        container: {livenessProbe: {httpGet: {path: /healthz, port: 8080}, initialDelaySeconds: 60}}
        resources: {limits: {memory: 1Gi}}
    pods:
      - when: {pod_spec: {imagePullSecrets: [{name: regcred}]}, container: {livenessProbe: {initialDelaySeconds: 60}},
               limits: {memory: 1Gi}}
        profile: healthy
      - when: {pod_spec: {imagePullSecrets: null}}
        profile: crashing
"""


def test_a_revision_changes_pod_level_fields_and_pod_rules_read_them(sandbox_factory: Callable[..., Sandbox]) -> None:
    doc = yaml.safe_load(BASE)
    doc["workloads"] = yaml.safe_load(REVISIONS)
    doc["incident"]["event"]["incident"]["custom_details"]["resource"] = "deployment/api"
    doc.pop("services")
    doc.pop("events")
    sb = sandbox_factory(parse_scenario(doc), speed=FAST)
    assert all(sb.cluster.pod_profile(p["metadata"]["name"], "shop") == "crashing" for p in _pods(sb, "api"))
    history = sb.kubectl("rollout", "history", "deployment/api", "-n", "shop", "--revision=1")
    assert history.returncode == 0, history.stderr
    assert "delay=60s" in history.stdout and "1Gi" in history.stdout
    assert sb.kubectl("rollout", "undo", "deployment/api", "-n", "shop").returncode == 0
    assert sb.wait_rollout("deployment/api", "shop", timeout=8)
    pods = _pods(sb, "api")
    assert pods and all(p["spec"]["imagePullSecrets"] == [{"name": "regcred"}] for p in pods)
    assert all(sb.cluster.pod_profile(p["metadata"]["name"], "shop") == "healthy" for p in pods)


CLAIMS = """
storage_classes:
  - {name: gp3, provisioner: ebs.csi.aws.com, default: true}
workloads:
  - kind: StatefulSet
    name: index
    replicas: 2
    age: 20m
    pod_age: 20m
    labels: {app: index}
    containers: [{name: index, image: registry.example.com/shop/index:1.0.0}]
    volume_claim_templates:
      - metadata: {name: data}
        spec: {accessModes: [ReadWriteOnce], storageClassName: CLASS, resources: {requests: {storage: 10Gi}}}
"""


@pytest.mark.parametrize("storage_class", ["gp3-encrypted", "gp3"])
def test_a_claim_binds_only_to_a_storage_class_the_cluster_has(
    sandbox_factory: Callable[..., Sandbox], storage_class: str
) -> None:
    doc = yaml.safe_load(BASE)
    doc.update(yaml.safe_load(CLAIMS.replace("CLASS", storage_class)))
    doc["incident"]["event"]["incident"]["custom_details"]["resource"] = "statefulset/index"
    for key in ("services", "events", "secrets"):
        doc.pop(key)
    sb = sandbox_factory(parse_scenario(doc), speed=FAST)
    assert sb.kubectl("get", "sc").stdout.split("\n")[1].split()[:3] == ["gp3", "(default)", "ebs.csi.aws.com"]
    claims = sb.kubectl("get", "pvc", "-n", "shop", "-o", "json")
    phases = {c["metadata"]["name"]: c["status"]["phase"] for c in json.loads(claims.stdout)["items"]}
    pods = _pods(sb, "index")
    # Each ordinal mounts its own claim, as the StatefulSet controller does.
    assert {p["spec"]["volumes"][0]["persistentVolumeClaim"]["claimName"] for p in pods} == set(phases)
    if storage_class == "gp3":
        assert set(phases.values()) == {"Bound"}
        assert sb.cluster.wait_for(lambda: all(p["status"]["phase"] == "Running" for p in sb.cluster.pods("shop", "app=index")))
        return
    assert set(phases.values()) == {"Pending"}
    events = json.loads(sb.kubectl("get", "events", "-n", "shop", "-o", "json").stdout)["items"]
    assert {e["message"] for e in events if e["reason"] == "ProvisioningFailed"} == {
        'storageclass.storage.k8s.io "gp3-encrypted" not found'
    }
    for pod in pods:
        assert pod["status"]["phase"] == "Pending" and "nodeName" not in pod["spec"]
        [cond] = pod["status"]["conditions"]
        assert "pod has unbound immediate PersistentVolumeClaims" in cond["message"]
