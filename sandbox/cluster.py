"""In-memory cluster state plus a small controller loop (deployments, replicasets, statefulsets, pods).

Everything is guarded by one lock; the HTTP server calls the public methods, the controller thread
calls ``reconcile()`` every tick. Pod behaviour comes from scenario *profiles*: when a pod is created,
the owning workload's ``pods:`` rules pick a profile from the pod's template (image, env, restart
annotation, whether it existed at scenario start).
"""

from __future__ import annotations

import collections
import copy
import hashlib
import json
import math
import random
import string
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from sandbox.apimachinery.errors import ApiError, already_exists, bad_request, conflict, invalid, not_found
from sandbox.apimachinery.patch import apply_patch, json_merge_patch
from sandbox.apimachinery.registry import Resource, find_resource
from sandbox.apimachinery.selectors import (
    fields_match,
    labels_match,
    parse_field_selector,
    parse_label_selector,
    selector_from_label_selector,
    selector_string,
)
from sandbox.apimachinery.units import cpu_milli, mem_bytes, parse_quantity, parse_time, utc
from sandbox.scenarios import Scenario, parse_duration

REVISION = "deployment.kubernetes.io/revision"
RESTARTED_AT = "kubectl.kubernetes.io/restartedAt"
CHANGE_CAUSE = "kubernetes.io/change-cause"
HASH_LABEL = "pod-template-hash"
STS_REVISION_LABEL = "controller-revision-hash"
STS_POD_NAME_LABEL = "statefulset.kubernetes.io/pod-name"
_SAFE = "bcdfghjklmnpqrstvwxz2456789"
FAILING = ("CrashLoopBackOff", "OOMKilled", "Error")


@dataclass
class Timing:
    """Real seconds (before dividing by ``speed``)."""

    tick: float = 0.02
    pod_start: float = 0.2  # ContainerCreating -> profile state
    crash_interval: float = 6.0  # restartCount + 1 for crashing containers
    progress_deadline: float = 3.0  # deployment Progressing=False ProgressDeadlineExceeded


@dataclass
class PodSim:
    profile_name: str
    profile: dict[str, Any]
    created: float
    initial: bool
    restarts: int = 0
    last_restart: float = 0.0  # shown as the last termination time
    next_crash: float = 0.0  # real time of the next simulated restart
    started: float | None = None
    events_done: bool = False


@dataclass
class WatchEvent:
    rv: int
    type: str
    plural: str
    obj: dict[str, Any]


def _pod_hash(template: dict[str, Any]) -> str:
    norm = _normalise(copy.deepcopy(template))
    if isinstance(norm, dict):
        (norm.get("metadata") or {}).get("labels", {}).pop(HASH_LABEL, None)
        norm = _normalise(norm)
    digest = hashlib.sha256(json.dumps(norm, sort_keys=True).encode()).digest()
    return "".join(_SAFE[b % len(_SAFE)] for b in digest[:10])


def _normalise(obj: Any) -> Any:
    """Drop nulls and empty containers (Go's serialisation noise) for template comparison."""
    if isinstance(obj, dict):
        out = {k: _normalise(v) for k, v in obj.items()}
        return {k: v for k, v in out.items() if v not in (None, {}, [], "")}
    if isinstance(obj, list):
        return [_normalise(v) for v in obj]
    return obj


def _default_template(tpl: dict[str, Any]) -> dict[str, Any]:
    """Apply the API server's pod-template defaults (so round trips compare equal)."""
    tpl.setdefault("metadata", {})
    tpl["metadata"].pop("creationTimestamp", None)
    spec = tpl.setdefault("spec", {})
    for c in spec.get("containers") or []:
        c.setdefault("resources", {})
        c.setdefault("terminationMessagePath", "/dev/termination-log")
        c.setdefault("terminationMessagePolicy", "File")
        image = str(c.get("image", ""))
        c.setdefault("imagePullPolicy", "Always" if image.endswith(":latest") or ":" not in image else "IfNotPresent")
        for p in c.get("ports") or []:
            p.setdefault("protocol", "TCP")
        for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
            if isinstance(c.get(probe), dict):
                for k, v in (
                    ("timeoutSeconds", 1),
                    ("periodSeconds", 10),
                    ("successThreshold", 1),
                    ("failureThreshold", 3),
                ):
                    c[probe].setdefault(k, v)
    spec.setdefault("restartPolicy", "Always")
    spec.setdefault("terminationGracePeriodSeconds", 30)
    spec.setdefault("dnsPolicy", "ClusterFirst")
    spec.setdefault("securityContext", {})
    spec.setdefault("schedulerName", "default-scheduler")
    return tpl


def kind_of(obj: dict[str, Any]) -> str:
    return str(obj.get("kind", ""))


def _int_or_percent(value: Any, total: int, round_up: bool) -> int:
    if value is None:
        value = "25%"
    if isinstance(value, str) and value.endswith("%"):
        frac = float(value[:-1]) * total / 100
        return math.ceil(frac) if round_up else math.floor(frac)
    return int(value)


class Cluster:
    """The simulated cluster. Thread-safe; ``start()`` runs the controller thread."""

    def __init__(self, scenario: Scenario, *, speed: float = 1.0, seed: int | None = None) -> None:
        if speed <= 0:
            raise ValueError("speed must be > 0")
        self.scenario = scenario
        self.speed = speed
        self.timing = Timing()
        self.rng = random.Random(
            seed if seed is not None else int(hashlib.sha256(scenario.name.encode()).hexdigest()[:8], 16)
        )
        self.lock = threading.RLock()
        self.cond = threading.Condition(self.lock)
        self.rv = 1000
        self.store: dict[str, dict[tuple[str, str], dict[str, Any]]] = collections.defaultdict(dict)
        self.history: collections.deque[WatchEvent] = collections.deque(maxlen=20000)
        self.podsim: dict[str, PodSim] = {}
        self.audit: list[dict[str, Any]] = []
        self._progress: dict[str, float] = {}  # deployment uid -> last progress time
        self._marks: dict[str, Any] = {}  # deployment uid -> last progress marker
        self._pod_counter: dict[str, int] = collections.defaultdict(int)
        self._node_rr = 0
        self._ip_counter: dict[int, int] = collections.defaultdict(int)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._bootstrapping = True
        self.started_at = time.time()
        with self.lock:
            self._load()
            self._bootstrapping = False

    # ------------------------------------------------------------------ timing helpers
    def _t(self, seconds: float) -> float:
        return seconds / self.speed

    def now(self) -> float:
        return time.time()

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> None:
        if self._thread:
            return
        self._thread = threading.Thread(target=self._run, name=f"sandbox-controller-{self.scenario.name}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        with self.cond:
            self.cond.notify_all()
        if self._thread:
            self._thread.join(timeout=2)
            self._thread = None

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.reconcile()
            except Exception:  # pragma: no cover - keep the loop alive, but show the bug
                import traceback

                traceback.print_exc()
            self._stop.wait(self._t(self.timing.tick) if self.speed < 1 else self.timing.tick)

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 5.0, interval: float = 0.02) -> bool:
        deadline = time.time() + timeout
        while True:
            with self.lock:
                if predicate():
                    return True
            if time.time() >= deadline:
                return False
            time.sleep(interval)

    # ------------------------------------------------------------------ low-level store
    def _new_uid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def _commit(self, plural: str, obj: dict[str, Any], etype: str) -> dict[str, Any]:
        self.rv += 1
        meta = obj["metadata"]
        meta["resourceVersion"] = str(self.rv)
        key = (meta.get("namespace", ""), meta["name"])
        if etype == "DELETED":
            self.store[plural].pop(key, None)
        else:
            self.store[plural][key] = obj
        self.history.append(WatchEvent(self.rv, etype, plural, copy.deepcopy(obj)))
        self.cond.notify_all()
        return obj

    def _get(self, plural: str, namespace: str, name: str) -> dict[str, Any] | None:
        return self.store[plural].get((namespace, name))

    def _objects(self, plural: str, namespace: str | None = None) -> list[dict[str, Any]]:
        items = [o for (ns, _), o in self.store[plural].items() if namespace in (None, "", ns)]
        return sorted(items, key=lambda o: (o["metadata"].get("namespace", ""), o["metadata"]["name"]))

    def _meta(
        self,
        name: str,
        namespace: str | None,
        *,
        created: float | None = None,
        labels: dict[str, str] | None = None,
        annotations: dict[str, str] | None = None,
        owner: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        meta: dict[str, Any] = {
            "name": name,
            "uid": self._new_uid(),
            "resourceVersion": "0",
            "creationTimestamp": utc(created if created is not None else self.now()),
        }
        if namespace:
            meta["namespace"] = namespace
        if labels:
            meta["labels"] = dict(labels)
        if annotations:
            meta["annotations"] = dict(annotations)
        if owner:
            meta["ownerReferences"] = [
                {
                    "apiVersion": owner["apiVersion"],
                    "kind": owner["kind"],
                    "name": owner["metadata"]["name"],
                    "uid": owner["metadata"]["uid"],
                    "controller": True,
                    "blockOwnerDeletion": True,
                }
            ]
        return meta

    # ------------------------------------------------------------------ scenario bootstrap
    def _load(self) -> None:
        scn = self.scenario
        now = self.now()
        for ns in scn.namespaces:
            self._commit(
                "namespaces",
                {
                    "apiVersion": "v1",
                    "kind": "Namespace",
                    "metadata": self._meta(
                        ns, None, created=now - 90 * 86400, labels={"kubernetes.io/metadata.name": ns}
                    ),
                    "spec": {"finalizers": ["kubernetes"]},
                    "status": {"phase": "Active"},
                },
                "ADDED",
            )
        for i, n in enumerate(scn.nodes):
            self._commit("nodes", self._make_node(n, i, now), "ADDED")
        for cm in scn.configmaps:
            self._commit(
                "configmaps",
                {
                    "apiVersion": "v1",
                    "kind": "ConfigMap",
                    "metadata": self._meta(
                        cm["name"],
                        cm.get("namespace", scn.namespace),
                        created=now - parse_duration(cm.get("age"), 86400),
                    ),
                    "data": {k: str(v) for k, v in (cm.get("data") or {}).items()},
                },
                "ADDED",
            )
        for svc in scn.services:
            self._commit("services", self._make_service(svc, now), "ADDED")
        for w in scn.workloads:
            if w["kind"] == "Deployment":
                self._load_deployment(w, now)
            else:
                self._load_statefulset(w, now)
        # initial pods, straight into their profile state
        self.reconcile(bootstrap=True)
        # a rollout that was already stuck at scenario start is past its progress deadline
        for dep in self._objects("deployments"):
            uid = dep["metadata"]["uid"]
            self._marks[uid] = self._progress_marker(dep)
            self._progress[uid] = now - 3600
        for ev in scn.events:
            self._load_event(ev, now)

    def _make_node(self, n: dict[str, Any], i: int, now: float) -> dict[str, Any]:
        import re

        m = re.match(r"^ip-(\d+)-(\d+)-(\d+)-(\d+)", n["name"])
        ip = n.get("ip") or (".".join(m.groups()) if m else f"10.0.{i + 1}.{20 + i}")
        ready = n.get("ready", True)
        cond_time = utc(now - 3600)
        alloc_cpu = n.get("allocatable_cpu", f"{int(parse_quantity(n.get('cpu', '4')) * 1000) - 70}m")
        alloc_mem = n.get("allocatable_memory", f"{int(mem_bytes(n.get('memory', '16Gi')) / 1024 * 0.94)}Ki")
        pressure = n.get("pressure", {})
        return {
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": self._meta(
                n["name"],
                None,
                created=now - parse_duration(n.get("age"), 40 * 86400),
                labels={
                    "kubernetes.io/hostname": n["name"],
                    "kubernetes.io/os": "linux",
                    "kubernetes.io/arch": "amd64",
                    "node.kubernetes.io/instance-type": n.get("instance_type", "m5.xlarge"),
                    "topology.kubernetes.io/zone": n.get("zone", f"us-east-1{'abc'[i % 3]}"),
                    **({"node-role.kubernetes.io/worker": ""} if n.get("role", "worker") == "worker" else {}),
                },
            ),
            "spec": {"podCIDR": f"10.244.{i + 1}.0/24", "providerID": f"aws:///us-east-1a/i-0{i:015x}"},
            "status": {
                "capacity": {
                    "cpu": str(n.get("cpu", "4")),
                    "memory": str(n.get("memory", "16Gi")),
                    "pods": "110",
                    "ephemeral-storage": "83873772Ki",
                },
                "allocatable": {
                    "cpu": alloc_cpu,
                    "memory": alloc_mem,
                    "pods": "110",
                    "ephemeral-storage": "77298068111",
                },
                "conditions": [
                    {
                        "type": t,
                        "status": "True" if pressure.get(t) else "False",
                        "reason": f"KubeletHasNo{t}" if not pressure.get(t) else f"KubeletHas{t}",
                        "message": f"kubelet has no {t}",
                        "lastHeartbeatTime": cond_time,
                        "lastTransitionTime": cond_time,
                    }
                    for t in ("MemoryPressure", "DiskPressure", "PIDPressure")
                ]
                + [
                    {
                        "type": "Ready",
                        "status": "True" if ready else "False",
                        "reason": "KubeletReady" if ready else "KubeletNotReady",
                        "message": "kubelet is posting ready status" if ready else "container runtime is down",
                        "lastHeartbeatTime": cond_time,
                        "lastTransitionTime": cond_time,
                    }
                ],
                "addresses": [{"type": "InternalIP", "address": ip}, {"type": "Hostname", "address": n["name"]}],
                "nodeInfo": {
                    "machineID": f"ec2{i:029x}",
                    "systemUUID": f"ec2{i:05x}-0000-0000-0000-000000000000",
                    "bootID": f"{i:08x}-1111-2222-3333-444444444444",
                    "kernelVersion": "6.1.112-124.190.amzn2023.x86_64",
                    "osImage": "Amazon Linux 2023.6.20241111",
                    "containerRuntimeVersion": "containerd://1.7.23",
                    "kubeletVersion": "v1.30.6-eks-94953ac",
                    "kubeProxyVersion": "v1.30.6-eks-94953ac",
                    "operatingSystem": "linux",
                    "architecture": "amd64",
                },
                "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
            },
        }

    def _make_service(self, svc: dict[str, Any], now: float) -> dict[str, Any]:
        ns = svc.get("namespace", self.scenario.namespace)
        ports = []
        for p in svc.get("ports") or [{"port": 80}]:
            port = {
                "name": p.get("name"),
                "protocol": p.get("protocol", "TCP"),
                "port": int(p["port"]),
                "targetPort": p.get("targetPort", p["port"]),
            }
            ports.append({k: v for k, v in port.items() if v is not None})
        n = len(self.store["services"]) + 10
        return {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": self._meta(
                svc["name"],
                ns,
                created=now - parse_duration(svc.get("age"), 30 * 86400),
                labels=svc.get("labels") or {"app": svc["name"]},
            ),
            "spec": {
                "type": svc.get("type", "ClusterIP"),
                "selector": svc.get("selector") or {"app": svc["name"]},
                "ports": ports,
                "clusterIP": svc.get("clusterIP", f"172.20.{n // 200}.{n % 200 + 10}"),
                "clusterIPs": [svc.get("clusterIP", f"172.20.{n // 200}.{n % 200 + 10}")],
                "sessionAffinity": "None",
                "ipFamilies": ["IPv4"],
                "ipFamilyPolicy": "SingleStack",
                "internalTrafficPolicy": "Cluster",
            },
            "status": {"loadBalancer": {}},
        }

    def _template_for(self, w: dict[str, Any], containers: list[dict[str, Any]]) -> dict[str, Any]:
        tpl: dict[str, Any] = {
            "metadata": {"labels": dict(w["labels"])},
            "spec": {"containers": copy.deepcopy(containers)},
        }
        if w.get("annotations"):
            tpl["metadata"]["annotations"] = dict(w["annotations"])
        for key in ("volumes", "serviceAccountName", "nodeSelector", "affinity", "tolerations", "imagePullSecrets"):
            if w.get(key):
                tpl["spec"][key] = copy.deepcopy(w[key])
        return _default_template(tpl)

    @staticmethod
    def _history_containers(current: list[dict[str, Any]], entry: dict[str, Any]) -> list[dict[str, Any]]:
        if entry.get("containers"):
            from sandbox.scenarios import _normalise_container

            cs = copy.deepcopy(entry["containers"])
            for c in cs:
                _normalise_container(c)
            return cs
        cs = copy.deepcopy(current)
        if entry.get("image"):
            cs[0]["image"] = entry["image"]
        if entry.get("resources"):
            # An older revision with other requests/limits (a lowered memory limit is a change too).
            cs[0]["resources"] = copy.deepcopy(entry["resources"])
        if entry.get("env"):
            env = cs[0].setdefault("env", [])
            for k, v in entry["env"].items():
                for e in env:
                    if e["name"] == k:
                        e.clear()
                        e.update({"name": k, "value": str(v)})
                        break
                else:
                    env.append({"name": k, "value": str(v)})
        for k in entry.get("remove_env") or []:
            cs[0]["env"] = [e for e in cs[0].get("env", []) if e["name"] != k]
        return cs

    def _selector(self, w: dict[str, Any]) -> dict[str, Any]:
        labels = w["labels"]
        if w.get("selector"):
            return {"matchLabels": dict(w["selector"])}
        return {"matchLabels": {"app": labels["app"]} if "app" in labels else dict(labels)}

    def _load_deployment(self, w: dict[str, Any], now: float) -> None:
        created = now - parse_duration(w.get("age"), 7 * 86400)
        template = self._template_for(w, w["containers"])
        history = w["history"]
        revision = len(history) + 1
        dep: dict[str, Any] = {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": self._meta(
                w["name"], w["namespace"], created=created, labels=w["labels"], annotations={REVISION: str(revision)}
            ),
            "spec": {
                "replicas": int(w["replicas"]),
                "selector": self._selector(w),
                "template": template,
                "strategy": copy.deepcopy(w.get("strategy"))
                or {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}},
                "revisionHistoryLimit": 10,
                "progressDeadlineSeconds": 600,
            },
            "status": {},
        }
        dep["metadata"]["generation"] = revision
        if w.get("change_cause"):
            dep["metadata"]["annotations"][CHANGE_CAUSE] = str(w["change_cause"])
        self._commit("deployments", dep, "ADDED")
        previous = int(w.get("previous_replicas", 0))
        current = int(w.get("current_replicas", w["replicas"]))
        for i, entry in enumerate(history):
            tpl = self._template_for(w, self._history_containers(w["containers"], entry))
            for key, value in (entry.get("pod_spec") or {}).items():
                # Pod-level fields of an older revision (imagePullSecrets, nodeSelector, tolerations...).
                if value is None:
                    tpl["spec"].pop(key, None)
                else:
                    tpl["spec"][key] = copy.deepcopy(value)
            keep = previous if i == len(history) - 1 else 0
            self._make_rs(
                dep,
                tpl,
                i + 1,
                keep,
                now - parse_duration(entry.get("age"), 86400 * (len(history) - i + 1)),
                change_cause=entry.get("change_cause"),
            )
        self._make_rs(
            dep,
            template,
            revision,
            current,
            now - parse_duration(w.get("rollout_age", w.get("pod_age")), 2 * 3600),
            change_cause=w.get("change_cause"),
        )
        self._progress[dep["metadata"]["uid"]] = now

    def _make_rs(
        self,
        dep: dict[str, Any],
        template: dict[str, Any],
        revision: int,
        replicas: int,
        created: float,
        change_cause: str | None = None,
    ) -> dict[str, Any]:
        h = _pod_hash(template)
        tpl = copy.deepcopy(template)
        tpl["metadata"].setdefault("labels", {})[HASH_LABEL] = h
        selector = copy.deepcopy(dep["spec"]["selector"])
        selector.setdefault("matchLabels", {})[HASH_LABEL] = h
        name = f"{dep['metadata']['name']}-{h}"
        rs = {
            "apiVersion": "apps/v1",
            "kind": "ReplicaSet",
            "metadata": self._meta(
                name,
                dep["metadata"]["namespace"],
                created=created,
                labels=tpl["metadata"]["labels"],
                annotations={
                    REVISION: str(revision),
                    "deployment.kubernetes.io/desired-replicas": str(dep["spec"]["replicas"]),
                    "deployment.kubernetes.io/max-replicas": str(dep["spec"]["replicas"] + 1),
                },
                owner=dep,
            ),
            "spec": {"replicas": replicas, "selector": selector, "template": tpl},
            "status": {"replicas": 0, "observedGeneration": 1},
        }
        rs["metadata"]["generation"] = 1
        if change_cause is None and not self._bootstrapping:
            change_cause = (dep["metadata"].get("annotations") or {}).get(CHANGE_CAUSE)
        if change_cause:
            rs["metadata"]["annotations"][CHANGE_CAUSE] = change_cause
        return self._commit("replicasets", rs, "ADDED")

    def _load_statefulset(self, w: dict[str, Any], now: float) -> None:
        created = now - parse_duration(w.get("age"), 30 * 86400)
        template = self._template_for(w, w["containers"])
        sts: dict[str, Any] = {
            "apiVersion": "apps/v1",
            "kind": "StatefulSet",
            "metadata": self._meta(w["name"], w["namespace"], created=created, labels=w["labels"]),
            "spec": {
                "replicas": int(w["replicas"]),
                "selector": self._selector(w),
                "serviceName": w.get("service_name", w["name"]),
                "template": template,
                "podManagementPolicy": w.get("pod_management_policy", "Parallel"),
                "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}},
                "revisionHistoryLimit": 10,
                "persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Retain", "whenScaled": "Retain"},
            },
            "status": {},
        }
        if w.get("volume_claim_templates"):
            sts["spec"]["volumeClaimTemplates"] = copy.deepcopy(w["volume_claim_templates"])
        sts["metadata"]["generation"] = 1
        for vct in w.get("volume_claim_templates") or []:
            for i in range(int(w["replicas"])):
                self._make_pvc(vct, w, i, created)
        rev = f"{w['name']}-{_pod_hash(template)}"
        sts["status"] = {"currentRevision": rev, "updateRevision": rev, "observedGeneration": 1, "replicas": 0}
        self._commit("statefulsets", sts, "ADDED")

    def _make_pvc(self, vct: dict[str, Any], w: dict[str, Any], ordinal: int, created: float) -> None:
        spec = copy.deepcopy(vct.get("spec") or {})
        size = ((spec.get("resources") or {}).get("requests") or {}).get("storage", "10Gi")
        name = f"{vct['metadata']['name']}-{w['name']}-{ordinal}"
        labels = dict(w["labels"])
        spec.setdefault("volumeMode", "Filesystem")
        spec["volumeName"] = f"pvc-{self._new_uid()}"
        pvc = {
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "metadata": self._meta(
                name,
                w["namespace"],
                created=created,
                labels=labels,
                annotations={
                    "pv.kubernetes.io/bind-completed": "yes",
                    "volume.kubernetes.io/storage-provisioner": "ebs.csi.aws.com",
                },
            ),
            "spec": spec,
            "status": {
                "phase": "Bound",
                "accessModes": spec.get("accessModes") or ["ReadWriteOnce"],
                "capacity": {"storage": size},
            },
        }
        pvc["metadata"]["finalizers"] = ["kubernetes.io/pvc-protection"]
        self._commit("persistentvolumeclaims", pvc, "ADDED")

    def _load_event(self, ev: dict[str, Any], now: float) -> None:
        kind, _, name = str(ev["object"]).partition("/")
        plural = {
            "deployment": "deployments",
            "statefulset": "statefulsets",
            "pod": "pods",
            "node": "nodes",
            "replicaset": "replicasets",
            "service": "services",
            "persistentvolumeclaim": "persistentvolumeclaims",
            "pvc": "persistentvolumeclaims",
        }[kind.lower()]
        ns = ev.get("namespace", self.scenario.namespace)
        obj = self._get(plural, "" if plural == "nodes" else ns, name)
        if obj is None:
            raise ValueError(f"scenario event refers to missing {ev['object']}")
        vars_ = {}
        if plural == "deployments":
            new_rs = self._new_rs_for(obj)
            vars_["rs"] = new_rs["metadata"]["name"] if new_rs else name
            older = sorted((rs for rs in self._owned("replicasets", obj) if rs is not new_rs), key=self._revision)
            vars_["previous_rs"] = older[-1]["metadata"]["name"] if older else name
        self._event(
            obj,
            ev["type"],
            ev["reason"],
            self._render(ev["message"], vars_),
            count=int(ev.get("count", 1)),
            ago=parse_duration(ev.get("ago"), 60),
            source=ev.get("source"),
            namespace=ns,
        )

    # ------------------------------------------------------------------ events
    @staticmethod
    def _render(text: str, vars_: dict[str, Any]) -> str:
        return string.Template(text).safe_substitute({k: str(v) for k, v in vars_.items()})

    def _event(
        self,
        obj: dict[str, Any],
        etype: str,
        reason: str,
        message: str,
        *,
        count: int = 1,
        ago: float = 0.0,
        first_ago: float | None = None,
        source: str | None = None,
        namespace: str | None = None,
        field_path: str | None = None,
    ) -> None:
        meta = obj["metadata"]
        ns = namespace or meta.get("namespace") or "default"
        now = self.now()
        last = now - ago
        first = now - (first_ago if first_ago is not None else ago + (count - 1) * 60)
        born = parse_time(meta.get("creationTimestamp"))
        if born is not None and first < born and kind_of(obj) != "Node":
            first = min(born + min(60.0, (last - born) / 2), last)
        for ev in self.store["events"].values():
            io = ev["involvedObject"]
            if io.get("uid") == meta["uid"] and ev["reason"] == reason and ev["message"] == message:
                ev = copy.deepcopy(ev)
                ev["count"] = int(ev.get("count", 1)) + count
                ev["lastTimestamp"] = utc(last)
                self._commit("events", ev, "MODIFIED")
                return
        kind = obj.get("kind", "")
        component = source or {
            "Pod": "kubelet",
            "Deployment": "deployment-controller",
            "ReplicaSet": "replicaset-controller",
            "StatefulSet": "statefulset-controller",
            "Node": "kubelet",
        }.get(kind, "kubelet")
        if kind == "Pod" and reason in ("Scheduled", "FailedScheduling"):
            component = "default-scheduler"
        host = (obj.get("spec") or {}).get("nodeName") if kind == "Pod" else (meta["name"] if kind == "Node" else None)
        ev = {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": self._meta(f"{meta['name']}.{self.rng.getrandbits(64):016x}", ns, created=first),
            "involvedObject": {
                "kind": kind,
                "namespace": meta.get("namespace", ns) if kind != "Node" else "",
                "name": meta["name"],
                "uid": meta["uid"],
                "apiVersion": obj.get("apiVersion", "v1"),
                "resourceVersion": meta.get("resourceVersion", ""),
            },
            "reason": reason,
            "message": message,
            "source": {"component": component, **({"host": host} if host and component == "kubelet" else {})},
            "firstTimestamp": utc(first),
            "lastTimestamp": utc(last),
            "count": count,
            "type": etype,
            "eventTime": None,
            "reportingComponent": component,
            "reportingInstance": host or "",
        }
        if kind == "Node":
            ev["involvedObject"].pop("namespace")
        if field_path:
            ev["involvedObject"]["fieldPath"] = field_path
        elif kind == "Pod" and reason not in ("Scheduled", "FailedScheduling"):
            cs = (obj.get("spec") or {}).get("containers") or []
            if cs:
                ev["involvedObject"]["fieldPath"] = f"spec.containers{{{cs[0]['name']}}}"
        self._commit("events", ev, "ADDED")

    # ------------------------------------------------------------------ controller
    def reconcile(self, bootstrap: bool = False) -> None:
        with self.lock:
            if self._stop.is_set() and not bootstrap:
                return
            self._garbage_collect()
            for dep in list(self._objects("deployments")):
                self._reconcile_deployment(dep, bootstrap)
            for rs in list(self._objects("replicasets")):
                self._reconcile_rs(rs, bootstrap)
            for sts in list(self._objects("statefulsets")):
                self._reconcile_sts(sts, bootstrap)
            for pod in list(self._objects("pods")):
                self._reconcile_pod(pod)
            for rs in list(self._objects("replicasets")):
                self._update_rs_status(rs)
            for dep in list(self._objects("deployments")):
                self._update_deployment_status(dep)
            for sts in list(self._objects("statefulsets")):
                self._update_sts_status(sts)
            for svc in list(self._objects("services")):
                self._update_endpoints(svc)

    def _update_endpoints(self, svc: dict[str, Any]) -> None:
        """The Service's Endpoints: Ready pods it selects as addresses, the others as not ready
        (what `kubectl describe svc` shows; `<none>` only when no pod is Ready)."""
        meta, spec = svc["metadata"], svc.get("spec") or {}
        selector = spec.get("selector") or {}
        if not selector:
            return
        ready: list[dict[str, Any]] = []
        not_ready: list[dict[str, Any]] = []
        for pod in self._objects("pods", meta["namespace"]):
            labels = pod["metadata"].get("labels") or {}
            ip = (pod.get("status") or {}).get("podIP")
            if not ip or any(labels.get(k) != v for k, v in selector.items()):
                continue
            address = {
                "ip": ip,
                "nodeName": (pod.get("spec") or {}).get("nodeName"),
                "targetRef": {"kind": "Pod", "namespace": meta["namespace"], "name": pod["metadata"]["name"],
                              "uid": pod["metadata"]["uid"]},
            }
            (ready if self._pod_ready(pod) else not_ready).append(address)
        ports = [
            {k: v for k, v in {"name": p.get("name"), "port": p.get("targetPort", p["port"]),
                               "protocol": p.get("protocol", "TCP")}.items() if v is not None}
            for p in spec.get("ports") or []
        ]
        for p in ports:
            if not isinstance(p["port"], int):
                p["port"] = int(p["port"]) if str(p["port"]).isdigit() else 0
        subset: dict[str, Any] = {"ports": ports}
        if ready:
            subset["addresses"] = sorted(ready, key=lambda a: a["ip"])
        if not_ready:
            subset["notReadyAddresses"] = sorted(not_ready, key=lambda a: a["ip"])
        subsets = [subset] if ready or not_ready else []
        old = self._get("endpoints", meta["namespace"], meta["name"])
        if old is not None and old.get("subsets") == subsets:
            return
        # The Service's uid: drawing a new one would shift every later name and uid of the run.
        ep = old or {
            "apiVersion": "v1",
            "kind": "Endpoints",
            "metadata": {
                "name": meta["name"],
                "namespace": meta["namespace"],
                "uid": meta["uid"],
                "resourceVersion": "0",
                "creationTimestamp": meta.get("creationTimestamp"),
                "labels": dict(meta.get("labels") or {}),
            },
        }
        ep["subsets"] = subsets
        self._commit("endpoints", ep, "MODIFIED" if old is not None else "ADDED")
        # kubectl describe svc reads the EndpointSlices labelled with the Service's name.
        addresses = [(a, True) for a in ready] + [(a, False) for a in not_ready]
        old_slice = self._get("endpointslices", meta["namespace"], meta["name"])
        eps = old_slice or {
            "apiVersion": "discovery.k8s.io/v1",
            "kind": "EndpointSlice",
            "addressType": "IPv4",
            "metadata": {
                **copy.deepcopy(ep["metadata"]),
                "labels": {**(meta.get("labels") or {}), "kubernetes.io/service-name": meta["name"]},
            },
        }
        eps["endpoints"] = [
            {
                "addresses": [a["ip"]],
                "conditions": {"ready": ok, "serving": ok, "terminating": False},
                "nodeName": a.get("nodeName"),
                "targetRef": a["targetRef"],
            }
            for a, ok in sorted(addresses, key=lambda x: x[0]["ip"])
        ]
        # Every field present, as the API server returns it (kubectl dereferences them).
        eps["ports"] = [{"name": p.get("name", ""), "port": p["port"], "protocol": p["protocol"]} for p in ports]
        self._commit("endpointslices", eps, "MODIFIED" if old_slice is not None else "ADDED")

    def _garbage_collect(self) -> None:
        uids = {
            o["metadata"]["uid"] for p in ("deployments", "replicasets", "statefulsets") for o in self.store[p].values()
        }
        for plural in ("replicasets", "pods"):
            for obj in list(self.store[plural].values()):
                owners = obj["metadata"].get("ownerReferences") or []
                if owners and not any(o["uid"] in uids for o in owners):
                    self._delete_now(plural, obj)

    def _owned(self, plural: str, owner: dict[str, Any]) -> list[dict[str, Any]]:
        uid = owner["metadata"]["uid"]
        ns = owner["metadata"].get("namespace")
        return [
            o
            for o in self._objects(plural, ns)
            if any(r.get("uid") == uid and r.get("controller") for r in o["metadata"].get("ownerReferences") or [])
        ]

    def _new_rs_for(self, dep: dict[str, Any]) -> dict[str, Any] | None:
        h = _pod_hash(dep["spec"]["template"])
        for rs in self._owned("replicasets", dep):
            if _pod_hash(rs["spec"]["template"]) == h:
                return rs
        return None

    @staticmethod
    def _revision(obj: dict[str, Any]) -> int:
        try:
            return int((obj["metadata"].get("annotations") or {}).get(REVISION, "0"))
        except ValueError:
            return 0

    def _rs_pods(self, rs: dict[str, Any]) -> list[dict[str, Any]]:
        return self._owned("pods", rs)

    @staticmethod
    def _pod_ready(pod: dict[str, Any]) -> bool:
        for c in (pod.get("status") or {}).get("conditions") or []:
            if c.get("type") == "Ready":
                return c.get("status") == "True"
        return False

    def _set_rs_replicas(self, rs: dict[str, Any], replicas: int, dep: dict[str, Any]) -> None:
        old = int(rs["spec"].get("replicas", 0))
        if old == replicas:
            return
        rs = copy.deepcopy(rs)
        rs["spec"]["replicas"] = replicas
        rs["metadata"]["generation"] = int(rs["metadata"].get("generation", 1)) + 1
        ann = rs["metadata"].setdefault("annotations", {})
        ann["deployment.kubernetes.io/desired-replicas"] = str(dep["spec"]["replicas"])
        self._commit("replicasets", rs, "MODIFIED")
        if not self._bootstrapping:
            direction = "up" if replicas > old else "down"
            self._event(
                dep,
                "Normal",
                "ScalingReplicaSet",
                f"Scaled {direction} replica set {rs['metadata']['name']} from {old} to {replicas}",
            )

    def _reconcile_deployment(self, dep: dict[str, Any], bootstrap: bool) -> None:
        now = self.now()
        uid = dep["metadata"]["uid"]
        replicas = int(dep["spec"].get("replicas", 1))
        owned = self._owned("replicasets", dep)
        new_rs = self._new_rs_for(dep)
        max_rev = max([self._revision(rs) for rs in owned] or [0])
        if new_rs is None:
            new_rs = self._make_rs(dep, dep["spec"]["template"], max_rev + 1, 0, now)
            self._progress[uid] = now
            owned = self._owned("replicasets", dep)
        elif self._revision(new_rs) < max_rev:
            # rollback to an older template: the old ReplicaSet becomes the newest revision
            new_rs = copy.deepcopy(new_rs)
            new_rs["metadata"]["annotations"][REVISION] = str(max_rev + 1)
            self._commit("replicasets", new_rs, "MODIFIED")
            self._progress[uid] = now
            owned = self._owned("replicasets", dep)
        rev = str(self._revision(new_rs))
        if (dep["metadata"].get("annotations") or {}).get(REVISION) != rev:
            dep = copy.deepcopy(dep)
            dep["metadata"].setdefault("annotations", {})[REVISION] = rev
            self._commit("deployments", dep, "MODIFIED")
        if dep["spec"].get("paused"):
            return
        old = [rs for rs in owned if rs["metadata"]["uid"] != new_rs["metadata"]["uid"]]
        old.sort(key=lambda r: self._revision(r))
        if bootstrap:
            return
        strategy = dep["spec"].get("strategy") or {}
        if strategy.get("type") == "Recreate":
            for rs in old:
                self._set_rs_replicas(rs, 0, dep)
            if not any(self._rs_pods(rs) for rs in old):
                self._set_rs_replicas(new_rs, replicas, dep)
            return
        ru = strategy.get("rollingUpdate") or {}
        max_surge = _int_or_percent(ru.get("maxSurge"), replicas, True)
        max_unavail = _int_or_percent(ru.get("maxUnavailable"), replicas, False)
        if max_surge == 0 and max_unavail == 0:
            max_unavail = 1

        def avail(rs: dict[str, Any]) -> int:
            return sum(1 for p in self._rs_pods(rs) if self._pod_ready(p))

        if not old:
            self._set_rs_replicas(new_rs, replicas, dep)
            return
        # scale up the new ReplicaSet within maxSurge
        all_spec = sum(int(rs["spec"].get("replicas", 0)) for rs in [new_rs, *old])
        new_spec = int(new_rs["spec"].get("replicas", 0))
        if new_spec > replicas:
            self._set_rs_replicas(new_rs, replicas, dep)
            new_spec = replicas
        else:
            up = min(replicas - new_spec, max(0, replicas + max_surge - all_spec))
            if up > 0:
                self._set_rs_replicas(new_rs, new_spec + up, dep)
                new_spec += up
        # scale down old ReplicaSets within maxUnavailable (unhealthy ones first)
        min_available = replicas - max_unavail
        new_unavailable = new_spec - avail(new_rs)
        all_spec = sum(
            int(self._get("replicasets", r["metadata"]["namespace"], r["metadata"]["name"])["spec"]["replicas"])
            for r in [new_rs, *old]
        )
        budget = all_spec - min_available - new_unavailable
        for rs in old:
            if budget <= 0:
                break
            cur = self._get("replicasets", rs["metadata"]["namespace"], rs["metadata"]["name"])
            if cur is None:
                continue
            spec = int(cur["spec"].get("replicas", 0))
            unhealthy = max(0, spec - avail(cur))
            cut = min(budget, unhealthy)
            if cut > 0:
                self._set_rs_replicas(cur, spec - cut, dep)
                budget -= cut
        total_avail = sum(avail(r) for r in [new_rs, *old])
        budget = total_avail - min_available
        for rs in old:
            if budget <= 0:
                break
            cur = self._get("replicasets", rs["metadata"]["namespace"], rs["metadata"]["name"])
            if cur is None:
                continue
            spec = int(cur["spec"].get("replicas", 0))
            cut = min(budget, spec)
            if cut > 0:
                self._set_rs_replicas(cur, spec - cut, dep)
                budget -= cut

    def _reconcile_rs(self, rs: dict[str, Any], bootstrap: bool) -> None:
        pods = self._rs_pods(rs)
        want = int(rs["spec"].get("replicas", 0))
        if len(pods) < want:
            for _ in range(want - len(pods)):
                self._create_pod_for_rs(rs, bootstrap)
        elif len(pods) > want:
            # delete not-ready and newest first
            victims = sorted(
                pods, key=lambda p: (self._pod_ready(p), -(parse_time(p["metadata"]["creationTimestamp"]) or 0))
            )
            for pod in victims[: len(pods) - want]:
                self._delete_now("pods", pod)
                self._event(rs, "Normal", "SuccessfulDelete", f"Deleted pod: {pod['metadata']['name']}")

    def _workload_for(self, owner: dict[str, Any]) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
        """(scenario workload spec, top-level owner object) for a ReplicaSet or StatefulSet."""
        top = owner
        if owner["kind"] == "ReplicaSet":
            refs = owner["metadata"].get("ownerReferences") or []
            dep = next(
                (
                    d
                    for d in self._objects("deployments", owner["metadata"]["namespace"])
                    if refs and d["metadata"]["uid"] == refs[0]["uid"]
                ),
                None,
            )
            if dep is None:
                return None, owner
            top = dep
        for w in self.scenario.workloads:
            if (
                w["kind"] == top["kind"]
                and w["name"] == top["metadata"]["name"]
                and w["namespace"] == top["metadata"]["namespace"]
            ):
                return w, top
        return None, top

    def _pick_profile(
        self, w: dict[str, Any] | None, template: dict[str, Any], initial: bool, revision: int, index: int
    ) -> tuple[str, dict[str, Any]]:
        rules = (w or {}).get("pods") or [{"profile": "healthy"}]
        containers = template["spec"].get("containers") or []
        images = [c.get("image", "") for c in containers]
        env: dict[str, str] = {}
        for c in containers:
            for e in c.get("env") or []:
                if "value" in e:
                    env[e["name"]] = str(e["value"])
                elif e.get("valueFrom"):
                    vf = e["valueFrom"]
                    ref = vf.get("configMapKeyRef") or vf.get("secretKeyRef") or {}
                    env[e["name"]] = f"{ref.get('name')}/{ref.get('key')}"
        annotations = template.get("metadata", {}).get("annotations") or {}
        chosen = rules[-1]
        for rule in rules:
            cond = rule.get("when") or {}
            ok = True
            if "initial" in cond and bool(cond["initial"]) != initial:
                ok = False
            if "image" in cond and cond["image"] not in images:
                ok = False
            if "image_contains" in cond and not any(cond["image_contains"] in i for i in images):
                ok = False
            for k, v in (cond.get("env") or {}).items():
                if env.get(k) != (None if v is None else str(v)):
                    ok = False
            if "restarted" in cond and bool(cond["restarted"]) != (RESTARTED_AT in annotations):
                ok = False
            if "revision" in cond and int(cond["revision"]) != revision:
                ok = False
            for field_ in ("limits", "requests"):
                # Matches when some container's resources.<field> has every listed value.
                want = cond.get(field_) or {}
                if want and not any(
                    all(str(((c.get("resources") or {}).get(field_) or {}).get(k)) == str(v) for k, v in want.items())
                    for c in containers
                ):
                    ok = False
            if ok:
                chosen = rule
                break
        name = chosen["profile"]
        prof = copy.deepcopy(self.scenario.profiles[name])
        per_pod = prof.pop("per_pod", None) or []
        if index < len(per_pod) and (initial or not (w or {}).get("per_pod_initial_only", False)):
            prof = json_merge_patch(prof, per_pod[index])
        return name, prof

    def _pick_node(self, prof: dict[str, Any]) -> dict[str, Any] | None:
        nodes = self._objects("nodes")
        if prof.get("status") == "Pending" or not nodes:
            return None
        if prof.get("node"):
            return next((n for n in nodes if n["metadata"]["name"] == prof["node"]), nodes[0])
        node = nodes[self._node_rr % len(nodes)]
        self._node_rr += 1
        return node

    def _create_pod(
        self,
        owner: dict[str, Any],
        name: str,
        template: dict[str, Any],
        labels: dict[str, str],
        initial: bool,
        revision: int,
        index: int,
        extra_spec: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        w, _top = self._workload_for(owner)
        pname, prof = self._pick_profile(w, template, initial, revision, index)
        now = self.now()
        created = now - parse_duration(prof.get("age", (w or {}).get("pod_age")), 2 * 3600) if initial else now
        node = self._pick_node(prof)
        spec = copy.deepcopy(template["spec"])
        spec.update(extra_spec or {})
        spec.setdefault("serviceAccountName", "default")
        spec["serviceAccount"] = spec["serviceAccountName"]
        spec["enableServiceLinks"] = True
        spec["priority"] = 0
        spec["preemptionPolicy"] = "PreemptLowerPriority"
        spec["tolerations"] = spec.get("tolerations") or [
            {
                "key": "node.kubernetes.io/not-ready",
                "operator": "Exists",
                "effect": "NoExecute",
                "tolerationSeconds": 300,
            },
            {
                "key": "node.kubernetes.io/unreachable",
                "operator": "Exists",
                "effect": "NoExecute",
                "tolerationSeconds": 300,
            },
        ]
        if node is not None:
            spec["nodeName"] = node["metadata"]["name"]
        pod = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": self._meta(
                name,
                owner["metadata"]["namespace"],
                created=created,
                labels=labels,
                annotations=template["metadata"].get("annotations"),
                owner=owner,
            ),
            "spec": spec,
            "status": {"phase": "Pending", "qosClass": self._qos(spec)},
        }
        if owner["kind"] == "ReplicaSet":
            pod["metadata"]["generateName"] = owner["metadata"]["name"] + "-"
        sim = PodSim(pname, prof, created=created, initial=initial)
        sim.restarts = int(prof.get("restarts", 0)) if initial else 0
        if initial:
            sim.started = now - parse_duration(prof.get("started_ago"), 4 * 60 if sim.restarts else 2 * 3600)
            sim.last_restart = sim.started
            sim.next_crash = now + self._t(self.timing.crash_interval)
        self.podsim[pod["metadata"]["uid"]] = sim
        pod["status"] = self._pod_status(pod, sim, now)
        self._commit("pods", pod, "ADDED")
        if not self._bootstrapping:
            if owner["kind"] == "ReplicaSet":
                self._event(owner, "Normal", "SuccessfulCreate", f"Created pod: {name}")
            else:
                self._event(
                    owner,
                    "Normal",
                    "SuccessfulCreate",
                    f"create Pod {name} in StatefulSet {owner['metadata']['name']} successful",
                )
        if node is not None:
            self._event(
                pod,
                "Normal",
                "Scheduled",
                f"Successfully assigned {pod['metadata']['namespace']}/{name} to {node['metadata']['name']}",
                ago=created and (now - created),
                count=1,
            )
        if initial or node is None:  # unschedulable pods never start: their events come now
            self._emit_profile_events(pod, sim)
        return pod

    def _create_pod_for_rs(self, rs: dict[str, Any], bootstrap: bool) -> dict[str, Any]:
        key = rs["metadata"]["uid"]
        index = self._pod_counter[key]
        self._pod_counter[key] += 1
        existing = {p["metadata"]["name"] for p in self._objects("pods", rs["metadata"]["namespace"])}
        while True:
            name = f"{rs['metadata']['name']}-{''.join(self.rng.choice(_SAFE) for _ in range(5))}"
            if name not in existing:
                break
        tpl = rs["spec"]["template"]
        return self._create_pod(
            rs, name, tpl, dict(tpl["metadata"].get("labels") or {}), bootstrap, self._revision(rs), index
        )

    def _sts_revision(self, sts: dict[str, Any]) -> str:
        return f"{sts['metadata']['name']}-{_pod_hash(sts['spec']['template'])}"

    def _reconcile_sts(self, sts: dict[str, Any], bootstrap: bool) -> None:
        ns = sts["metadata"]["namespace"]
        name = sts["metadata"]["name"]
        replicas = int(sts["spec"].get("replicas", 1))
        update_rev = self._sts_revision(sts)
        pods = {p["metadata"]["name"]: p for p in self._owned("pods", sts)}
        for i in range(replicas):
            pname = f"{name}-{i}"
            if pname not in pods:
                tpl = sts["spec"]["template"]
                labels = dict(tpl["metadata"].get("labels") or {})
                labels[STS_REVISION_LABEL] = update_rev
                labels[STS_POD_NAME_LABEL] = pname
                labels["apps.kubernetes.io/pod-index"] = str(i)
                pods[pname] = self._create_pod(
                    sts,
                    pname,
                    tpl,
                    labels,
                    bootstrap,
                    0,
                    i,
                    extra_spec={"hostname": pname, "subdomain": sts["spec"].get("serviceName", name)},
                )
        for pname, pod in list(pods.items()):
            idx = int(pname.rsplit("-", 1)[1])
            if idx >= replicas:
                self._delete_now("pods", pod)
                self._event(sts, "Normal", "SuccessfulDelete", f"delete Pod {pname} in StatefulSet {name} successful")
                pods.pop(pname)
        if bootstrap or len(pods) < replicas:
            return
        # rolling update: highest ordinal first, one at a time, waiting for the updated ones to be ready
        ordered = sorted(pods.values(), key=lambda p: -int(p["metadata"]["name"].rsplit("-", 1)[1]))
        for pod in ordered:
            rev = (pod["metadata"].get("labels") or {}).get(STS_REVISION_LABEL)
            if rev == update_rev:
                if not self._pod_ready(pod):
                    return  # wait for this updated pod
                continue
            self._delete_now("pods", pod)
            self._event(
                sts,
                "Normal",
                "SuccessfulDelete",
                f"delete Pod {pod['metadata']['name']} in StatefulSet {name} successful",
            )
            return
        del ns

    def _delete_now(self, plural: str, obj: dict[str, Any]) -> None:
        obj = copy.deepcopy(obj)
        obj["metadata"]["deletionTimestamp"] = utc(self.now())
        obj["metadata"]["deletionGracePeriodSeconds"] = 0
        self._commit(plural, obj, "DELETED")
        if plural == "pods":
            self.podsim.pop(obj["metadata"]["uid"], None)

    # ------------------------------------------------------------------ pods
    @staticmethod
    def _qos(spec: dict[str, Any]) -> str:
        res = [c.get("resources") or {} for c in spec.get("containers") or []]
        if not any(r.get("requests") or r.get("limits") for r in res):
            return "BestEffort"
        if all(r.get("limits") and (r.get("requests") or r.get("limits")) == r.get("limits") for r in res):
            return "Guaranteed"
        return "Burstable"

    def _pod_vars(self, pod: dict[str, Any]) -> dict[str, Any]:
        c = (pod["spec"].get("containers") or [{}])[0]
        owner = (pod["metadata"].get("ownerReferences") or [{}])[0]
        return {
            "ordinal": pod["metadata"]["name"].rsplit("-", 1)[-1] if owner.get("kind") == "StatefulSet" else "0",
            "pod": pod["metadata"]["name"],
            "namespace": pod["metadata"]["namespace"],
            "uid": pod["metadata"]["uid"],
            "node": pod["spec"].get("nodeName", ""),
            "ip": (pod.get("status") or {}).get("podIP", ""),
            "image": c.get("image", ""),
            "container": c.get("name", ""),
        }

    def _emit_profile_events(self, pod: dict[str, Any], sim: PodSim) -> None:
        vars_ = self._pod_vars(pod)
        for ev in sim.profile.get("events") or []:
            count = int(ev.get("count", 1)) if sim.initial else 1
            ago = parse_duration(ev.get("ago"), 60) if sim.initial else 0.0
            self._event(
                pod,
                ev.get("type", "Normal"),
                ev["reason"],
                self._render(ev["message"], vars_),
                count=count,
                ago=ago,
                source=ev.get("source"),
            )
        sim.events_done = True

    def _pod_status(self, pod: dict[str, Any], sim: PodSim, now: float) -> dict[str, Any]:
        prof = sim.profile
        status_kind = prof.get("status", "Running")
        spec = pod["spec"]
        node_name = spec.get("nodeName")
        old = pod.get("status") or {}
        st: dict[str, Any] = {"phase": "Pending", "qosClass": old.get("qosClass") or self._qos(spec)}
        created = utc(sim.created)
        if node_name is None or status_kind == "Pending":
            msg = (
                prof.get("message")
                or "0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are "
                "available: 3 No preemption victims found for incoming pod."
            )
            st["conditions"] = [
                {
                    "type": "PodScheduled",
                    "status": "False",
                    "lastProbeTime": None,
                    "lastTransitionTime": created,
                    "reason": "Unschedulable",
                    "message": msg,
                }
            ]
            return st
        node = self._get("nodes", "", node_name)
        host_ip = node["status"]["addresses"][0]["address"] if node else "10.0.0.1"
        if "podIP" in old:
            pod_ip = old["podIP"]
        else:
            nidx = sorted(self.store["nodes"]).index(("", node_name)) if node else 0
            self._ip_counter[0] += 1
            pod_ip = f"10.244.{nidx + 1}.{(self._ip_counter[0] * 37) % 250 + 3}"
        st.update({"hostIP": host_ip, "hostIPs": [{"ip": host_ip}], "startTime": created})
        starting = not sim.initial and sim.started is None and now - sim.created < self._t(self.timing.pod_start)
        if not starting and sim.started is None:
            sim.started = now
            sim.last_restart = now
            sim.next_crash = now + self._t(self.timing.crash_interval)
        eff = "ContainerCreating" if starting else status_kind
        ready = bool(prof.get("ready", eff in ("Running", "OOMKilled")))
        if eff in ("ContainerCreating", "ImagePullBackOff", "ErrImagePull", "CreateContainerConfigError"):
            ready = False
        containers = []
        for c in spec.get("containers") or []:
            cs: dict[str, Any] = {
                "name": c["name"],
                "image": c.get("image", ""),
                "imageID": "",
                "ready": ready,
                "restartCount": sim.restarts,
                "started": False,
                "lastState": {},
                "state": {},
            }
            started_at = utc(sim.last_restart or now)
            if eff not in ("ContainerCreating", "ImagePullBackOff", "ErrImagePull", "CreateContainerConfigError"):
                digest = hashlib.sha256(c.get("image", "").encode()).hexdigest()
                cs["imageID"] = f"{c.get('image', '').split(':')[0]}@sha256:{digest}"
                cs["containerID"] = (
                    f"containerd://{hashlib.sha256((pod['metadata']['uid'] + str(sim.restarts)).encode()).hexdigest()}"
                )
            if sim.restarts > 0 or eff in FAILING:
                last = prof.get("last_state") or {}
                reason = last.get("reason") or ("OOMKilled" if status_kind == "OOMKilled" else "Error")
                code = int(last.get("exitCode", prof.get("exit_code", 137 if reason == "OOMKilled" else 1)))
                if sim.restarts > 0:
                    cs["lastState"] = {
                        "terminated": {
                            "exitCode": code,
                            "reason": reason,
                            "startedAt": utc((sim.last_restart or now) - 300),
                            "finishedAt": started_at,
                            "containerID": cs.get("containerID", ""),
                        }
                    }
            if eff in ("Running", "NotReady", "OOMKilled"):
                cs["state"] = {"running": {"startedAt": started_at}}
                cs["started"] = True
            elif eff == "CrashLoopBackOff":
                cs["state"] = {
                    "waiting": {
                        "reason": "CrashLoopBackOff",
                        "message": f"back-off 5m0s restarting failed container={c['name']} "
                        f"pod={pod['metadata']['name']}_{pod['metadata']['namespace']}"
                        f"({pod['metadata']['uid']})",
                    }
                }
            elif eff == "Error":
                cs["state"] = {
                    "terminated": {
                        "exitCode": int(prof.get("exit_code", 1)),
                        "reason": "Error",
                        "startedAt": started_at,
                        "finishedAt": utc(now),
                    }
                }
            elif eff == "ContainerCreating":
                cs["state"] = {"waiting": {"reason": "ContainerCreating"}}
            elif eff in ("ImagePullBackOff", "ErrImagePull"):
                msg = prof.get("message") or f'Back-off pulling image "{c.get("image")}"'
                cs["state"] = {"waiting": {"reason": eff, "message": self._render(msg, self._pod_vars(pod))}}
            elif eff == "CreateContainerConfigError":
                cs["state"] = {"waiting": {"reason": eff, "message": prof.get("message", "configuration error")}}
            cs["volumeMounts"] = [
                {
                    "name": "kube-api-access",
                    "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount",
                    "readOnly": True,
                    "recursiveReadOnly": "Disabled",
                }
            ]
            if not cs["lastState"]:
                cs["lastState"] = {}
            containers.append(cs)
        running_phase = eff not in (
            "ContainerCreating",
            "ImagePullBackOff",
            "ErrImagePull",
            "CreateContainerConfigError",
        )
        st["phase"] = "Running" if running_phase else "Pending"
        if running_phase or eff != "ContainerCreating":
            st["podIP"] = pod_ip
            st["podIPs"] = [{"ip": pod_ip}]
        elif "podIP" in old:
            st["podIP"] = pod_ip
        init_t = utc(sim.created + 1)
        ready_t = utc(sim.started or now)
        st["conditions"] = [
            {
                "type": "PodReadyToStartContainers",
                "status": "True" if running_phase else "False",
                "lastProbeTime": None,
                "lastTransitionTime": init_t,
            },
            {"type": "Initialized", "status": "True", "lastProbeTime": None, "lastTransitionTime": created},
            {
                "type": "Ready",
                "status": "True" if ready else "False",
                "lastProbeTime": None,
                "lastTransitionTime": ready_t,
                **(
                    {}
                    if ready
                    else {
                        "reason": "ContainersNotReady",
                        "message": f"containers with unready status: [{' '.join(c['name'] for c in containers)}]",
                    }
                ),
            },
            {
                "type": "ContainersReady",
                "status": "True" if ready else "False",
                "lastProbeTime": None,
                "lastTransitionTime": ready_t,
                **(
                    {}
                    if ready
                    else {
                        "reason": "ContainersNotReady",
                        "message": f"containers with unready status: [{' '.join(c['name'] for c in containers)}]",
                    }
                ),
            },
            {"type": "PodScheduled", "status": "True", "lastProbeTime": None, "lastTransitionTime": created},
        ]
        st["containerStatuses"] = containers
        return st

    def _reconcile_pod(self, pod: dict[str, Any]) -> None:
        sim = self.podsim.get(pod["metadata"]["uid"])
        if sim is None:
            return
        now = self.now()
        status_kind = sim.profile.get("status")
        was_started = sim.started is not None
        if status_kind in FAILING and sim.started is not None and now >= sim.next_crash:
            sim.restarts += 1
            sim.last_restart = now
            sim.next_crash = now + self._t(self.timing.crash_interval)
        new_status = self._pod_status(pod, sim, now)
        if not was_started and sim.started is not None and not sim.events_done:
            self._emit_start_events(pod, sim)
        if new_status != pod.get("status"):
            pod = copy.deepcopy(pod)
            pod["status"] = new_status
            self._commit("pods", pod, "MODIFIED")

    def _emit_start_events(self, pod: dict[str, Any], sim: PodSim) -> None:
        status_kind = sim.profile.get("status")
        c = pod["spec"]["containers"][0]
        if status_kind not in ("ImagePullBackOff", "ErrImagePull", "Pending", "ContainerCreating"):
            self._event(pod, "Normal", "Pulled", f'Container image "{c["image"]}" already present on machine')
        # A container whose config cannot be built (missing Secret/ConfigMap) is never created.
        if status_kind not in ("ImagePullBackOff", "ErrImagePull", "Pending", "ContainerCreating",
                               "CreateContainerConfigError"):
            self._event(pod, "Normal", "Created", f"Created container {c['name']}")
            self._event(pod, "Normal", "Started", f"Started container {c['name']}")
        self._emit_profile_events(pod, sim)

    # ------------------------------------------------------------------ status roll-ups
    def _update_rs_status(self, rs: dict[str, Any]) -> None:
        pods = self._rs_pods(rs)
        ready = sum(1 for p in pods if self._pod_ready(p))
        st: dict[str, Any] = {
            "replicas": len(pods),
            "fullyLabeledReplicas": len(pods),
            "readyReplicas": ready,
            "availableReplicas": ready,
            "observedGeneration": rs["metadata"].get("generation", 1),
        }
        if not ready:
            st.pop("readyReplicas")
            st.pop("availableReplicas")
        if not pods:
            st.pop("fullyLabeledReplicas")
        if st != rs.get("status"):
            rs = copy.deepcopy(rs)
            rs["status"] = st
            self._commit("replicasets", rs, "MODIFIED")

    def _progress_marker(self, dep: dict[str, Any]) -> tuple[int, int, str]:
        new_rs = self._new_rs_for(dep)
        new_pods = self._rs_pods(new_rs) if new_rs else []
        return (
            len(new_pods),
            sum(1 for p in new_pods if self._pod_ready(p)),
            new_rs["metadata"]["name"] if new_rs else "",
        )

    def _update_deployment_status(self, dep: dict[str, Any]) -> None:
        now = self.now()
        uid = dep["metadata"]["uid"]
        replicas = int(dep["spec"].get("replicas", 1))
        owned = self._owned("replicasets", dep)
        new_rs = self._new_rs_for(dep)
        all_pods = [p for rs in owned for p in self._rs_pods(rs)]
        new_pods = self._rs_pods(new_rs) if new_rs else []
        ready = sum(1 for p in all_pods if self._pod_ready(p))
        updated = len(new_pods)
        new_ready = sum(1 for p in new_pods if self._pod_ready(p))
        complete = updated == replicas and len(all_pods) == replicas and new_ready == replicas
        old = dep.get("status") or {}
        prev_conds = {c["type"]: c for c in old.get("conditions") or []}
        # progress = any change in the new ReplicaSet's pod counts
        marker = self._progress_marker(dep)
        progressed = self._marks.get(uid) != marker
        if progressed:
            self._marks[uid] = marker
            self._progress[uid] = now
        max_unavail = _int_or_percent(
            ((dep["spec"].get("strategy") or {}).get("rollingUpdate") or {}).get("maxUnavailable"), replicas, False
        )
        available_ok = ready >= replicas - max_unavail
        rs_name = new_rs["metadata"]["name"] if new_rs else ""

        def cond(ctype: str, status: str, reason: str, message: str) -> dict[str, Any]:
            prev = prev_conds.get(ctype)
            changed = not prev or prev.get("status") != status or prev.get("reason") != reason
            return {
                "type": ctype,
                "status": status,
                "lastUpdateTime": utc(now)
                if changed or (prev and prev.get("message") != message)
                else prev.get("lastUpdateTime"),
                "lastTransitionTime": utc(now)
                if not prev or prev.get("status") != status
                else prev.get("lastTransitionTime"),
                "reason": reason,
                "message": message,
            }

        conds = [
            cond(
                "Available",
                "True" if available_ok else "False",
                "MinimumReplicasAvailable" if available_ok else "MinimumReplicasUnavailable",
                "Deployment has minimum availability."
                if available_ok
                else "Deployment does not have minimum availability.",
            )
        ]
        if complete:
            conds.append(
                cond(
                    "Progressing",
                    "True",
                    "NewReplicaSetAvailable",
                    f'ReplicaSet "{rs_name}" has successfully progressed.',
                )
            )
        elif now - self._progress.get(uid, now) > self._t(self.timing.progress_deadline) or (
            prev_conds.get("Progressing", {}).get("reason") == "ProgressDeadlineExceeded" and not progressed
        ):
            conds.append(
                cond(
                    "Progressing",
                    "False",
                    "ProgressDeadlineExceeded",
                    f'ReplicaSet "{rs_name}" has timed out progressing.',
                )
            )
        else:
            conds.append(cond("Progressing", "True", "ReplicaSetUpdated", f'ReplicaSet "{rs_name}" is progressing.'))
        # keep the historic initial state for scenario failures: an initially stuck rollout is past its deadline
        st: dict[str, Any] = {
            "observedGeneration": dep["metadata"].get("generation", 1),
            "replicas": len(all_pods),
            "updatedReplicas": updated,
            "readyReplicas": ready,
            "availableReplicas": ready,
            "unavailableReplicas": max(0, replicas - ready) if max(0, replicas - ready) else None,
            "conditions": conds,
        }
        st = {k: v for k, v in st.items() if v not in (None, 0) or k in ("observedGeneration", "conditions")}
        if st != old:
            dep = copy.deepcopy(dep)
            dep["status"] = st
            self._commit("deployments", dep, "MODIFIED")

    def _update_sts_status(self, sts: dict[str, Any]) -> None:
        pods = self._owned("pods", sts)
        update_rev = self._sts_revision(sts)
        old = sts.get("status") or {}
        current_rev = old.get("currentRevision") or update_rev
        replicas = int(sts["spec"].get("replicas", 1))
        updated = sum(1 for p in pods if p["metadata"]["labels"].get(STS_REVISION_LABEL) == update_rev)
        ready = sum(1 for p in pods if self._pod_ready(p))
        if updated == len(pods) == replicas:
            current_rev = update_rev
        current = sum(1 for p in pods if p["metadata"]["labels"].get(STS_REVISION_LABEL) == current_rev)
        st = {
            "observedGeneration": sts["metadata"].get("generation", 1),
            "replicas": len(pods),
            "readyReplicas": ready,
            "currentReplicas": current,
            "updatedReplicas": updated,
            "currentRevision": current_rev,
            "updateRevision": update_rev,
            "collisionCount": 0,
            "availableReplicas": ready,
        }
        if not ready:
            st.pop("readyReplicas")
        if st != old:
            sts = copy.deepcopy(sts)
            sts["status"] = st
            self._commit("statefulsets", sts, "MODIFIED")

    # ------------------------------------------------------------------ API: reads
    def list_objects(
        self,
        plural: str,
        namespace: str | None,
        label_selector: str | None = None,
        field_selector: str | None = None,
    ) -> tuple[list[dict[str, Any]], str]:
        reqs = parse_label_selector(label_selector)
        fsel = parse_field_selector(field_selector)
        with self.lock:
            items = [
                copy.deepcopy(o)
                for o in self._objects(plural, namespace)
                if labels_match(reqs, o["metadata"].get("labels")) and fields_match(fsel, o)
            ]
            return items, str(self.rv)

    def get_object(self, res: Resource, namespace: str, name: str) -> dict[str, Any]:
        with self.lock:
            obj = self._get(res.plural if res.group != "events.k8s.io" else "events", namespace, name)
            if obj is None:
                raise not_found(res, name)
            return copy.deepcopy(obj)

    def has_namespace(self, ns: str) -> bool:
        with self.lock:
            return ("", ns) in self.store["namespaces"]

    # ------------------------------------------------------------------ API: writes
    def record(self, entry: dict[str, Any]) -> None:
        with self.lock:
            entry.setdefault("time", time.time())
            self.audit.append(entry)

    def audit_log(self) -> list[dict[str, Any]]:
        with self.lock:
            return copy.deepcopy(self.audit)

    def _validate(self, res: Resource, obj: dict[str, Any], old: dict[str, Any] | None) -> None:
        name = obj.get("metadata", {}).get("name", "")
        causes: list[tuple[str, str, str]] = []
        if res.kind in ("Deployment", "StatefulSet", "ReplicaSet"):
            spec = obj.get("spec") or {}
            r = spec.get("replicas", 1)
            if not isinstance(r, int) or isinstance(r, bool) or r < 0:
                causes.append(
                    (
                        "spec.replicas",
                        "FieldValueInvalid",
                        f"Invalid value: {json.dumps(r)}: must be greater than or equal to 0",
                    )
                )
            tpl = spec.get("template") or {}
            containers = (tpl.get("spec") or {}).get("containers")
            if not containers:
                causes.append(("spec.template.spec.containers", "FieldValueRequired", "Required value"))
            for i, c in enumerate(containers or []):
                if not isinstance(c, dict) or not c.get("name"):
                    causes.append((f"spec.template.spec.containers[{i}].name", "FieldValueRequired", "Required value"))
                if isinstance(c, dict) and not c.get("image"):
                    causes.append((f"spec.template.spec.containers[{i}].image", "FieldValueRequired", "Required value"))
            sel = selector_from_label_selector(spec.get("selector"))
            if not sel:
                causes.append(("spec.selector", "FieldValueRequired", "Required value"))
            elif not labels_match(sel, (tpl.get("metadata") or {}).get("labels")):
                causes.append(
                    (
                        "spec.template.metadata.labels",
                        "FieldValueInvalid",
                        f"Invalid value: {json.dumps((tpl.get('metadata') or {}).get('labels'))}: "
                        "`selector` does not match template `labels`",
                    )
                )
            if old is not None and spec.get("selector") != old["spec"].get("selector"):
                causes.append(
                    (
                        "spec.selector",
                        "FieldValueInvalid",
                        f"Invalid value: {json.dumps(spec.get('selector'))}: field is immutable",
                    )
                )
        if res.kind == "Pod" and old is None:
            if not (obj.get("spec") or {}).get("containers"):
                causes.append(("spec.containers", "FieldValueRequired", "Required value"))
        import re

        if old is None and not re.match(r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$", name or ""):
            causes.append(
                (
                    "metadata.name",
                    "FieldValueInvalid",
                    f'Invalid value: "{name}": a lowercase RFC 1123 subdomain must consist of lower case '
                    "alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character",
                )
            )
        if causes:
            raise invalid(res.kind, res.group, name, causes)

    def _prepare_update(self, res: Resource, old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
        new = copy.deepcopy(new)
        new["apiVersion"] = old["apiVersion"]
        new["kind"] = old["kind"]
        meta = new.setdefault("metadata", {})
        for k in ("uid", "creationTimestamp", "namespace", "ownerReferences", "generateName"):
            if k in old["metadata"]:
                meta.setdefault(k, old["metadata"][k])
                if k in ("uid", "creationTimestamp", "namespace"):
                    meta[k] = old["metadata"][k]
        meta["name"] = old["metadata"]["name"]
        for k in [k for k, v in meta.items() if v is None]:
            meta.pop(k)
        if "status" in old:
            new["status"] = old["status"]  # status is only written through the status subresource
        if res.kind in ("Deployment", "StatefulSet", "ReplicaSet"):
            tpl = (new.get("spec") or {}).get("template")
            if isinstance(tpl, dict):
                _default_template(tpl)
            if _normalise(new.get("spec")) != _normalise(old.get("spec")):
                meta["generation"] = int(old["metadata"].get("generation", 1)) + 1
            else:
                meta["generation"] = old["metadata"].get("generation", 1)
        return new

    def _store_plural(self, res: Resource) -> str:
        return "events" if res.group == "events.k8s.io" else res.plural

    def patch_object(
        self, res: Resource, namespace: str, name: str, content_type: str, body: bytes, dry_run: bool
    ) -> dict[str, Any]:
        plural = self._store_plural(res)
        with self.lock:
            old = self._get(plural, namespace, name)
            if old is None:
                if content_type.startswith("application/apply-patch+yaml"):  # server-side apply creates
                    obj = apply_patch({}, content_type, body)
                    obj.setdefault("metadata", {})["name"] = name
                    return self.create_object(res, namespace, obj, dry_run)
                raise not_found(res, name)
            patched = apply_patch(old, content_type, body)
            rv = (patched.get("metadata") or {}).get("resourceVersion")
            if rv and rv != old["metadata"]["resourceVersion"]:
                raise conflict(res, name)
            new = self._prepare_update(res, old, patched)
            self._validate(res, new, old)
            if dry_run:
                return copy.deepcopy(new)
            if _normalise(new) == _normalise(old):
                return copy.deepcopy(old)
            self._commit(plural, new, "MODIFIED")
            self._after_write(res, new)
            return copy.deepcopy(new)

    def replace_object(
        self, res: Resource, namespace: str, name: str, body: dict[str, Any], dry_run: bool
    ) -> dict[str, Any]:
        plural = self._store_plural(res)
        with self.lock:
            if (body.get("metadata") or {}).get("name") not in (None, name):
                raise bad_request(
                    f"the name of the object ({body['metadata']['name']}) does not match the name on the URL ({name})"
                )
            old = self._get(plural, namespace, name)
            if old is None:
                raise not_found(res, name)
            rv = (body.get("metadata") or {}).get("resourceVersion")
            if rv and rv != old["metadata"]["resourceVersion"]:
                raise conflict(res, name)
            new = self._prepare_update(res, old, body)
            self._validate(res, new, old)
            if dry_run:
                return copy.deepcopy(new)
            self._commit(plural, new, "MODIFIED")
            self._after_write(res, new)
            return copy.deepcopy(new)

    def create_object(self, res: Resource, namespace: str, body: dict[str, Any], dry_run: bool) -> dict[str, Any]:
        plural = self._store_plural(res)
        with self.lock:
            body = copy.deepcopy(body)
            meta = body.setdefault("metadata", {})
            if not meta.get("name") and meta.get("generateName"):
                meta["name"] = meta["generateName"] + "".join(self.rng.choice(_SAFE) for _ in range(5))
            name = meta.get("name", "")
            if res.namespaced:
                if not self.has_namespace(namespace):
                    raise ApiError(
                        404,
                        "NotFound",
                        f'namespaces "{namespace}" not found',
                        details={"name": namespace, "kind": "namespaces"},
                    )
                meta["namespace"] = namespace
            self._validate(res, body, None)
            if self._get(plural, namespace if res.namespaced else "", name) is not None:
                raise already_exists(res, name)
            fresh = self._meta(name, namespace if res.namespaced else None)
            for k in ("uid", "creationTimestamp", "resourceVersion"):
                meta[k] = fresh[k]
            body["apiVersion"] = res.api_version
            body["kind"] = res.kind
            if res.kind in ("Deployment", "StatefulSet", "ReplicaSet"):
                meta["generation"] = 1
                _default_template(body["spec"]["template"])
                body["spec"].setdefault("replicas", 1)
                body.setdefault("status", {})
                if res.kind == "Deployment":
                    body["spec"].setdefault(
                        "strategy",
                        {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}},
                    )
                    body["spec"].setdefault("revisionHistoryLimit", 10)
                    body["spec"].setdefault("progressDeadlineSeconds", 600)
            if res.kind == "Namespace":
                body.setdefault("status", {"phase": "Active"})
                body.setdefault("spec", {"finalizers": ["kubernetes"]})
            if res.kind == "Pod":
                body.setdefault("status", {"phase": "Pending"})
            if dry_run:
                return body
            self._commit(plural, body, "ADDED")
            if res.kind == "Pod":
                sim = PodSim(
                    "healthy", copy.deepcopy(self.scenario.profiles["healthy"]), created=self.now(), initial=False
                )
                node = self._pick_node(sim.profile)
                if node:
                    body["spec"]["nodeName"] = node["metadata"]["name"]
                self.podsim[meta["uid"]] = sim
            return copy.deepcopy(body)

    def delete_object(
        self, res: Resource, namespace: str, name: str, dry_run: bool, options: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        plural = self._store_plural(res)
        with self.lock:
            old = self._get(plural, namespace, name)
            if old is None:
                raise not_found(res, name)
            pre = (options or {}).get("preconditions") or {}
            if pre.get("uid") and pre["uid"] != old["metadata"]["uid"]:
                raise conflict(res, name)
            if pre.get("resourceVersion") and pre["resourceVersion"] != old["metadata"]["resourceVersion"]:
                raise conflict(res, name)
            obj = copy.deepcopy(old)
            obj["metadata"]["deletionTimestamp"] = utc(self.now())
            grace = (options or {}).get("gracePeriodSeconds")
            obj["metadata"]["deletionGracePeriodSeconds"] = int(grace) if grace is not None else 30
            if dry_run:
                return obj
            if res.kind == "Pod":
                self._event(old, "Normal", "Killing", f"Stopping container {old['spec']['containers'][0]['name']}")
            if res.kind == "Namespace":
                for p in list(self.store):
                    for (ns, _n), o in list(self.store[p].items()):
                        if ns == name:
                            self._delete_now(p, o)
            self._commit(plural, copy.deepcopy(obj), "DELETED")
            if plural == "pods":
                self.podsim.pop(obj["metadata"]["uid"], None)
            return obj

    def _after_write(self, res: Resource, obj: dict[str, Any]) -> None:
        if res.kind == "Deployment":
            self._progress[obj["metadata"]["uid"]] = self.now()

    # --- scale subresource
    def get_scale(self, res: Resource, namespace: str, name: str) -> dict[str, Any]:
        obj = self.get_object(res, namespace, name)
        return self._scale_of(obj)

    @staticmethod
    def _scale_of(obj: dict[str, Any]) -> dict[str, Any]:
        meta = obj["metadata"]
        return {
            "kind": "Scale",
            "apiVersion": "autoscaling/v1",
            "metadata": {
                k: meta[k] for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp") if k in meta
            },
            "spec": {"replicas": int(obj["spec"].get("replicas", 1))},
            "status": {
                "replicas": int((obj.get("status") or {}).get("replicas", 0)),
                "selector": selector_string(obj["spec"].get("selector")),
            },
        }

    def update_scale(
        self, res: Resource, namespace: str, name: str, *, content_type: str | None, body: bytes, dry_run: bool
    ) -> dict[str, Any]:
        with self.lock:
            obj = self._get(res.plural, namespace, name)
            if obj is None:
                raise not_found(res, name)
            scale = self._scale_of(obj)
            if content_type is None:  # PUT
                try:
                    new_scale = json.loads(body or b"{}")
                except ValueError as exc:
                    raise bad_request(str(exc)) from exc
            else:
                new_scale = apply_patch(scale, content_type, body)
            rv = (new_scale.get("metadata") or {}).get("resourceVersion")
            if rv and rv != obj["metadata"]["resourceVersion"]:
                raise conflict(res, name)
            replicas = (new_scale.get("spec") or {}).get("replicas", 0)
            if not isinstance(replicas, int) or isinstance(replicas, bool) or replicas < 0:
                raise invalid(
                    "Scale",
                    "autoscaling",
                    name,
                    [
                        (
                            "spec.replicas",
                            "FieldValueInvalid",
                            f"Invalid value: {json.dumps(replicas)}: must be greater than or equal to 0",
                        )
                    ],
                )
            new = copy.deepcopy(obj)
            new["spec"]["replicas"] = replicas
            if replicas != obj["spec"].get("replicas"):
                new["metadata"]["generation"] = int(obj["metadata"].get("generation", 1)) + 1
            if dry_run:
                out = self._scale_of(new)
                return out
            if replicas != obj["spec"].get("replicas"):
                self._commit(res.plural, new, "MODIFIED")
            return self._scale_of(new)

    # ------------------------------------------------------------------ logs & metrics
    def pod_log(self, namespace: str, name: str, container: str | None, previous: bool, tail_lines: int | None) -> str:
        with self.lock:
            pod = self._get("pods", namespace, name)
            if pod is None:
                raise not_found(find_resource("", "v1", "pods"), name)  # type: ignore[arg-type]
            names = [c["name"] for c in pod["spec"].get("containers") or []]
            if container and container not in names:
                raise bad_request(f"container {container} is not valid for pod {name}")
            if not container and len(names) > 1:
                raise bad_request(
                    f"a container name must be specified for pod {name}, choose one of: [{' '.join(names)}]"
                )
            cname = container or names[0]
            sim = self.podsim.get(pod["metadata"]["uid"])
            prof = sim.profile if sim else {}
            cstat = next(
                (c for c in (pod.get("status") or {}).get("containerStatuses") or [] if c["name"] == cname), None
            )
            waiting = (cstat or {}).get("state", {}).get("waiting")
            if cstat is None or (waiting is not None and waiting.get("reason") != "CrashLoopBackOff"):
                reason = (cstat or {}).get("state", {}).get("waiting", {}).get("reason", "ContainerCreating")
                if reason in ("ImagePullBackOff", "ErrImagePull"):
                    msg = "trying and failing to pull image"
                elif cstat is None:
                    msg = "ContainerCreating"
                else:
                    msg = reason
                if previous:
                    raise bad_request(f'previous terminated container "{cname}" in pod "{name}" not found')
                raise bad_request(f'container "{cname}" in pod "{name}" is waiting to start: {msg}')
            if previous:
                if not cstat.get("restartCount"):
                    raise bad_request(f'previous terminated container "{cname}" in pod "{name}" not found')
                text = prof.get("previous_logs") or prof.get("logs") or ""
            else:
                text = prof.get("logs") or ""
            per_container = prof.get("container_logs") or {}
            if cname in per_container:
                text = per_container[cname]
            text = self._render(text, self._pod_vars(pod))
        if text and not text.endswith("\n"):
            text += "\n"
        if tail_lines is not None and tail_lines >= 0:
            lines = text.splitlines(keepends=True)
            text = "".join(lines[-tail_lines:]) if tail_lines else ""
        return text

    def _pod_usage(self, pod: dict[str, Any]) -> dict[str, str] | None:
        sim = self.podsim.get(pod["metadata"]["uid"])
        if sim is None or sim.started is None:
            return None
        st = sim.profile.get("status")
        if st in ("Pending", "ImagePullBackOff", "ErrImagePull", "CreateContainerConfigError", "ContainerCreating"):
            return None
        usage = sim.profile.get("usage") or {}
        return {"cpu": str(usage.get("cpu", "5m")), "memory": str(usage.get("memory", "32Mi"))}

    @staticmethod
    def _fmt_cpu(milli: float) -> str:
        return f"{round(milli * 1_000_000_000)}n"

    @staticmethod
    def _fmt_mem(b: float) -> str:
        return f"{round(b / 1024)}Ki"

    def pod_metrics(
        self, namespace: str | None, label_selector: str | None = None, name: str | None = None
    ) -> list[dict[str, Any]]:
        reqs = parse_label_selector(label_selector)
        out = []
        with self.lock:
            for pod in self._objects("pods", namespace):
                if name and pod["metadata"]["name"] != name:
                    continue
                if not labels_match(reqs, pod["metadata"].get("labels")):
                    continue
                usage = self._pod_usage(pod)
                if usage is None:
                    continue
                containers = pod["spec"]["containers"]
                cpu = cpu_milli(usage["cpu"])
                mem = mem_bytes(usage["memory"])
                out.append(
                    {
                        "kind": "PodMetrics",
                        "apiVersion": "metrics.k8s.io/v1beta1",
                        "metadata": {
                            "name": pod["metadata"]["name"],
                            "namespace": pod["metadata"]["namespace"],
                            "creationTimestamp": utc(self.now()),
                            "labels": pod["metadata"].get("labels") or {},
                        },
                        "timestamp": utc(self.now() - 10),
                        "window": "15.01s",
                        "containers": [
                            {
                                "name": c["name"],
                                "usage": {
                                    "cpu": self._fmt_cpu(cpu / len(containers) / 1000),
                                    "memory": self._fmt_mem(mem / len(containers)),
                                },
                            }
                            for c in containers
                        ],
                    }
                )
        return out

    def node_metrics(self, name: str | None = None, label_selector: str | None = None) -> list[dict[str, Any]]:
        reqs = parse_label_selector(label_selector)
        out = []
        with self.lock:
            pods = self._objects("pods")
            for node in self._objects("nodes"):
                nname = node["metadata"]["name"]
                if name and nname != name:
                    continue
                if not labels_match(reqs, node["metadata"].get("labels")):
                    continue
                spec = next((n for n in self.scenario.nodes if n["name"] == nname), {})
                base = spec.get("usage") or {}
                cpu = cpu_milli(base.get("cpu", "600m"))
                mem = mem_bytes(base.get("memory", "4Gi"))
                for p in pods:
                    if p["spec"].get("nodeName") == nname:
                        u = self._pod_usage(p)
                        if u:
                            cpu += cpu_milli(u["cpu"])
                            mem += mem_bytes(u["memory"])
                out.append(
                    {
                        "kind": "NodeMetrics",
                        "apiVersion": "metrics.k8s.io/v1beta1",
                        "metadata": {
                            "name": nname,
                            "creationTimestamp": utc(self.now()),
                            "labels": node["metadata"].get("labels") or {},
                        },
                        "timestamp": utc(self.now() - 10),
                        "window": "20.05s",
                        "usage": {"cpu": self._fmt_cpu(cpu / 1000), "memory": self._fmt_mem(mem)},
                    }
                )
        return out

    # ------------------------------------------------------------------ watch
    def watch(
        self,
        plural: str,
        namespace: str | None,
        resource_version: str | None,
        label_selector: str | None,
        field_selector: str | None,
        timeout: float,
        should_stop: Callable[[], bool],
    ) -> Iterator[tuple[str, dict[str, Any]]]:
        reqs = parse_label_selector(label_selector)
        fsel = parse_field_selector(field_selector)

        def match(obj: dict[str, Any]) -> bool:
            meta = obj["metadata"]
            if namespace and meta.get("namespace", "") != namespace:
                return False
            return labels_match(reqs, meta.get("labels")) and fields_match(fsel, obj)

        deadline = time.time() + timeout
        pending: list[tuple[str, dict[str, Any]]] = []
        with self.lock:
            if resource_version in (None, "", "0"):
                for obj in self._objects(plural, namespace):
                    if match(obj):
                        pending.append(("ADDED", copy.deepcopy(obj)))
                cursor = self.rv
            else:
                try:
                    cursor = int(resource_version)
                except ValueError as exc:
                    raise bad_request(f"invalid resource version {resource_version!r}") from exc
                oldest = self.history[0].rv if self.history else self.rv
                if cursor < oldest - 1:
                    raise ApiError(410, "Expired", f"too old resource version: {cursor} ({oldest})")
        # validation done (errors above are raised before the response starts); now stream
        return self._stream(plural, match, pending, cursor, deadline, should_stop)

    def _stream(
        self,
        plural: str,
        match: Callable[[dict[str, Any]], bool],
        pending: list[tuple[str, dict[str, Any]]],
        cursor: int,
        deadline: float,
        should_stop: Callable[[], bool],
    ) -> Iterator[tuple[str, dict[str, Any]]]:
        yield from pending
        while not should_stop() and not self._stop.is_set():
            batch: list[tuple[str, dict[str, Any]]] = []
            with self.cond:
                if self.rv <= cursor:
                    remaining = deadline - time.time()
                    if remaining <= 0:
                        return
                    self.cond.wait(min(0.25, remaining))
                for ev in reversed(self.history):
                    if ev.rv <= cursor:
                        break
                    if ev.plural == plural and match(ev.obj):
                        batch.append((ev.type, copy.deepcopy(ev.obj)))
                cursor = self.rv
            yield from reversed(batch)
            if time.time() >= deadline:
                return

    # ------------------------------------------------------------------ assertions helpers
    def objects(self, plural: str, namespace: str | None = None, selector: str | None = None) -> list[dict[str, Any]]:
        """Deep copies of stored objects (``plural`` like ``pods``, ``deployments``)."""
        return self.list_objects(plural, namespace, selector)[0]

    def get(self, plural: str, name: str, namespace: str | None = None) -> dict[str, Any] | None:
        with self.lock:
            obj = self._get(
                plural, "" if plural in ("nodes", "namespaces") else (namespace or self.scenario.namespace), name
            )
            return copy.deepcopy(obj) if obj else None

    def pods(self, namespace: str | None = None, selector: str | None = None) -> list[dict[str, Any]]:
        return self.objects("pods", namespace, selector)

    def events(self, namespace: str | None = None) -> list[dict[str, Any]]:
        return self.objects("events", namespace)

    def pod_profile(self, pod_name: str, namespace: str | None = None) -> str | None:
        """Name of the scenario profile driving a pod (``leaking``, ``healthy`` ...)."""
        with self.lock:
            pod = self._get("pods", namespace or self.scenario.namespace, pod_name)
            if pod is None:
                return None
            sim = self.podsim.get(pod["metadata"]["uid"])
            return sim.profile_name if sim else None

    def workload_pods(self, target: str, namespace: str | None = None) -> list[dict[str, Any]]:
        """Pods belonging to ``deployment/x`` or ``statefulset/x`` (through their ReplicaSets)."""
        ns = namespace or self.scenario.namespace
        kind, _, name = target.partition("/")
        kind = kind.lower()
        with self.lock:
            if kind in ("deployment", "deploy", "deployments"):
                dep = self._get("deployments", ns, name)
                if dep is None:
                    return []
                return [copy.deepcopy(p) for rs in self._owned("replicasets", dep) for p in self._rs_pods(rs)]
            if kind in ("statefulset", "sts", "statefulsets"):
                sts = self._get("statefulsets", ns, name)
                return [copy.deepcopy(p) for p in self._owned("pods", sts)] if sts else []
            if kind in ("pod", "pods"):
                pod = self._get("pods", ns, name)
                return [copy.deepcopy(pod)] if pod else []
        return []

    def pod_summary(self, target: str | None = None, namespace: str | None = None) -> list[dict[str, Any]]:
        """[{name, status (kubectl STATUS column), ready, restarts, profile}] for assertions and demos."""
        from sandbox.tables import pod_status_reason

        pods = self.workload_pods(target, namespace) if target else self.pods(namespace or self.scenario.namespace)
        out = []
        for p in sorted(pods, key=lambda p: p["metadata"]["name"]):
            cs = (p.get("status") or {}).get("containerStatuses") or []
            out.append(
                {
                    "name": p["metadata"]["name"],
                    "status": pod_status_reason(p),
                    "ready": self._pod_ready(p),
                    "restarts": sum(int(c.get("restartCount", 0)) for c in cs),
                    "profile": self.pod_profile(p["metadata"]["name"], p["metadata"]["namespace"]),
                }
            )
        return out

    def rollout_complete(self, target: str, namespace: str | None = None) -> bool:
        ns = namespace or self.scenario.namespace
        kind, _, name = target.partition("/")
        kind = kind.lower()
        with self.lock:
            if kind in ("deployment", "deploy", "deployments"):
                dep = self._get("deployments", ns, name)
                if dep is None:
                    return False
                st = dep.get("status") or {}
                want = int(dep["spec"].get("replicas", 1))
                return (
                    st.get("observedGeneration", 0) >= dep["metadata"].get("generation", 1)
                    and st.get("updatedReplicas", 0) == want
                    and st.get("replicas", 0) == want
                    and st.get("availableReplicas", 0) == want
                )
            if kind in ("statefulset", "sts", "statefulsets"):
                sts = self._get("statefulsets", ns, name)
                if sts is None:
                    return False
                st = sts.get("status") or {}
                want = int(sts["spec"].get("replicas", 1))
                return (
                    st.get("updateRevision") == self._sts_revision(sts) == st.get("currentRevision")
                    and st.get("readyReplicas", 0) == want
                    and st.get("updatedReplicas", 0) == want
                )
        return False

    def workload_healthy(self, target: str, namespace: str | None = None) -> bool:
        """All desired pods exist, are Ready, and run a healthy profile (e.g. not the leaking one)."""
        ns = namespace or self.scenario.namespace
        kind, _, name = target.partition("/")
        with self.lock:
            plural = {"deployment": "deployments", "statefulset": "statefulsets"}.get(kind.lower())
            if plural is None:
                return False
            obj = self._get(plural, ns, name)
            if obj is None:
                return False
            want = int(obj["spec"].get("replicas", 1))
            pods = self.workload_pods(target, ns)
            if len(pods) != want:
                return False
            for p in pods:
                sim = self.podsim.get(p["metadata"]["uid"])
                if not self._pod_ready(p) or sim is None or not sim.profile.get("healthy", False):
                    return False
            return True

    def incident_resolved(self) -> bool:
        details = self.scenario.incident["event"]["incident"].get("custom_details") or {}
        target = details.get("resource")
        ns = details.get("namespace", self.scenario.namespace)
        if not target:
            return False
        return self.workload_healthy(target, ns)
