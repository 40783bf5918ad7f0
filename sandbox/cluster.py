"""The simulated cluster: the API machinery and the resource families, composed.

Everything is guarded by the object store's one lock; the HTTP layer calls the public methods, the
controller thread calls ``reconcile()`` every tick. Pod behaviour comes from scenario *profiles*: when
a pod is created, the owning workload's ``pods:`` rules pick a profile from the pod's template
(image, env, restart annotation, whether it existed at scenario start).
"""

from __future__ import annotations

import collections
import copy
import hashlib
import random
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from typing import Any

from sandbox.apimachinery.registry import Resource
from sandbox.apimachinery.store import Object, ObjectStore, WatchEvent, WatchItem
from sandbox.resources import logs, metrics
from sandbox.resources.configmaps import load_configmaps, load_secrets
from sandbox.resources.context import ClusterContext, PodSim, Timing
from sandbox.resources.deployments import Deployments
from sandbox.resources.events import Events
from sandbox.resources.kubelet import Kubelet, pod_ready
from sandbox.resources.namespaces import load_namespaces
from sandbox.resources.nodes import Nodes
from sandbox.resources.pods import Pods
from sandbox.resources.replicasets import ReplicaSets
from sandbox.resources.rest import RestStorage
from sandbox.resources.scenario_events import load_scenario_event
from sandbox.resources.services import Services
from sandbox.resources.statefulsets import StatefulSets, sts_revision
from sandbox.resources.storage import load_storage_classes
from sandbox.scenarios import Scenario
from sandbox.tables import pod_status_reason

__all__ = ["Cluster", "PodSim", "Timing", "WatchEvent"]

# Owners whose dependents the garbage collector deletes when the owner is gone.
_OWNER_PLURALS = ("deployments", "replicasets", "statefulsets")


class Cluster:
    """The simulated cluster. Thread-safe; ``start()`` runs the controller thread."""

    def __init__(self, scenario: Scenario, *, speed: float = 1.0, seed: int | None = None) -> None:
        if speed <= 0:
            raise ValueError("speed must be > 0")
        self.scenario = scenario
        self.speed = speed
        rng = random.Random(
            seed if seed is not None else int(hashlib.sha256(scenario.name.encode()).hexdigest()[:8], 16)
        )
        self.ctx = ClusterContext(scenario=scenario, speed=speed, rng=rng)
        self.store: ObjectStore = self.ctx.store
        self.lock = self.store.lock
        self.cond = self.store.cond
        self.audit: list[dict[str, Any]] = []
        self.recorder = Events(self.ctx)
        self.nodes = Nodes(self.ctx)
        self.kubelet = Kubelet(self.ctx)
        self.pod_lifecycle = Pods(self.ctx, self.recorder, self.nodes, self.kubelet)
        self.replicasets = ReplicaSets(self.ctx, self.recorder, self.pod_lifecycle)
        self.deployments = Deployments(self.ctx, self.recorder)
        self.statefulsets = StatefulSets(self.ctx, self.recorder, self.pod_lifecycle)
        self.services = Services(self.ctx)
        self.rest = RestStorage(self.ctx, self.recorder, self.nodes, self.deployments)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.started_at = time.time()
        with self.lock:
            self._load()
            self.ctx.bootstrapping = False

    @property
    def timing(self) -> Timing:
        return self.ctx.timing

    @property
    def rng(self) -> random.Random:
        return self.ctx.rng

    @property
    def rv(self) -> int:
        return self.store.rv

    @property
    def history(self) -> collections.deque[WatchEvent]:
        return self.store.history

    @property
    def podsim(self) -> dict[str, PodSim]:
        return self.ctx.podsim

    def now(self) -> float:
        return self.ctx.now()

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
                traceback.print_exc()
            self._stop.wait(self.ctx.t(self.timing.tick) if self.speed < 1 else self.timing.tick)

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 5.0, interval: float = 0.02) -> bool:
        deadline = time.time() + timeout
        while True:
            with self.lock:
                if predicate():
                    return True
            if time.time() >= deadline:
                return False
            time.sleep(interval)

    # ------------------------------------------------------------------ scenario bootstrap
    def _load(self) -> None:
        scn = self.scenario
        now = self.now()
        load_namespaces(self.ctx, now)
        self.nodes.load(now)
        load_configmaps(self.ctx, now)
        load_secrets(self.ctx, now)
        load_storage_classes(self.ctx, now)
        self.services.load(now)
        for w in scn.workloads:
            if w["kind"] == "Deployment":
                self.deployments.load(w, now)
            else:
                self.statefulsets.load(w, now)
        # initial pods, straight into their profile state
        self.reconcile(bootstrap=True)
        # a rollout that was already stuck at scenario start is past its progress deadline
        self.deployments.mark_stuck_since(now - 3600)
        for ev in scn.events:
            load_scenario_event(self.ctx, self.recorder, ev, now)
        self.recorder.expire()  # what happened more than an hour ago is no longer listed

    # ------------------------------------------------------------------ controllers
    def reconcile(self, bootstrap: bool = False) -> None:
        """One pass of every controller, in the order the real ones settle: owners, then pods, then
        the status roll-ups and the endpoints that read the pods."""
        with self.lock:
            if self._stop.is_set() and not bootstrap:
                return
            self._garbage_collect()
            self.deployments.reconcile(bootstrap)
            self.replicasets.reconcile(bootstrap)
            self.statefulsets.reconcile(bootstrap)
            self.pod_lifecycle.reconcile()
            self.replicasets.update_statuses()
            self.deployments.update_statuses()
            self.statefulsets.update_statuses()
            self.services.reconcile()
            self.recorder.expire()

    def _garbage_collect(self) -> None:
        uids = {o["metadata"]["uid"] for p in _OWNER_PLURALS for o in self.store.data[p].values()}
        for plural in ("replicasets", "pods"):
            for obj in list(self.store.data[plural].values()):
                owners = obj["metadata"].get("ownerReferences") or []
                if owners and not any(o["uid"] in uids for o in owners):
                    self.ctx.delete_now(plural, obj)

    # ------------------------------------------------------------------ API: reads
    def list_objects(
        self,
        plural: str,
        namespace: str | None,
        label_selector: str | None = None,
        field_selector: str | None = None,
    ) -> tuple[list[Object], str]:
        return self.store.select(plural, namespace, label_selector, field_selector)

    def get_object(self, res: Resource, namespace: str, name: str) -> Object:
        return self.rest.get(res, namespace, name)

    def has_namespace(self, ns: str) -> bool:
        with self.lock:
            return ("", ns) in self.store.data["namespaces"]

    def watch(
        self,
        plural: str,
        namespace: str | None,
        resource_version: str | None,
        label_selector: str | None,
        field_selector: str | None,
        timeout: float,
        should_stop: Callable[[], bool],
    ) -> Iterator[WatchItem]:
        return self.store.watch(
            plural,
            namespace,
            resource_version,
            label_selector,
            field_selector,
            timeout,
            lambda: should_stop() or self._stop.is_set(),
        )

    # ------------------------------------------------------------------ API: writes
    def record(self, entry: dict[str, Any]) -> None:
        with self.lock:
            entry.setdefault("time", time.time())
            self.audit.append(entry)

    def audit_log(self) -> list[dict[str, Any]]:
        with self.lock:
            return copy.deepcopy(self.audit)

    def patch_object(
        self, res: Resource, namespace: str, name: str, content_type: str, body: bytes, dry_run: bool
    ) -> Object:
        return self.rest.patch(res, namespace, name, content_type, body, dry_run)

    def replace_object(self, res: Resource, namespace: str, name: str, body: Object, dry_run: bool) -> Object:
        return self.rest.replace(res, namespace, name, body, dry_run)

    def create_object(self, res: Resource, namespace: str, body: Object, dry_run: bool) -> Object:
        return self.rest.create(res, namespace, body, dry_run)

    def delete_object(
        self, res: Resource, namespace: str, name: str, dry_run: bool, options: dict[str, Any] | None = None
    ) -> Object:
        return self.rest.delete(res, namespace, name, dry_run, options)

    def get_scale(self, res: Resource, namespace: str, name: str) -> Object:
        return self.rest.get_scale(res, namespace, name)

    def update_scale(
        self, res: Resource, namespace: str, name: str, *, content_type: str | None, body: bytes, dry_run: bool
    ) -> Object:
        return self.rest.update_scale(res, namespace, name, content_type=content_type, body=body, dry_run=dry_run)

    # ------------------------------------------------------------------ logs & metrics
    def pod_log(self, namespace: str, name: str, container: str | None, previous: bool, tail_lines: int | None) -> str:
        return logs.pod_log(self.ctx, namespace, name, container, previous, tail_lines)

    def pod_metrics(
        self, namespace: str | None, label_selector: str | None = None, name: str | None = None
    ) -> list[Object]:
        return metrics.pod_metrics(self.ctx, namespace, label_selector, name)

    def node_metrics(self, name: str | None = None, label_selector: str | None = None) -> list[Object]:
        return metrics.node_metrics(self.ctx, name, label_selector)

    # ------------------------------------------------------------------ assertions helpers
    def objects(self, plural: str, namespace: str | None = None, selector: str | None = None) -> list[dict[str, Any]]:
        """Deep copies of stored objects (``plural`` like ``pods``, ``deployments``)."""
        return self.list_objects(plural, namespace, selector)[0]

    def get(self, plural: str, name: str, namespace: str | None = None) -> dict[str, Any] | None:
        with self.lock:
            obj = self.store.get(
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
            pod = self.store.get("pods", namespace or self.scenario.namespace, pod_name)
            if pod is None:
                return None
            sim = self.ctx.podsim.get(pod["metadata"]["uid"])
            return sim.profile_name if sim else None

    def workload_pods(self, target: str, namespace: str | None = None) -> list[dict[str, Any]]:
        """Pods belonging to ``deployment/x`` or ``statefulset/x`` (through their ReplicaSets)."""
        ns = namespace or self.scenario.namespace
        kind, _, name = target.partition("/")
        kind = kind.lower()
        with self.lock:
            if kind in ("deployment", "deploy", "deployments"):
                dep = self.store.get("deployments", ns, name)
                if dep is None:
                    return []
                return [
                    copy.deepcopy(p)
                    for rs in self.store.owned("replicasets", dep)
                    for p in self.store.owned("pods", rs)
                ]
            if kind in ("statefulset", "sts", "statefulsets"):
                sts = self.store.get("statefulsets", ns, name)
                return [copy.deepcopy(p) for p in self.store.owned("pods", sts)] if sts else []
            if kind in ("pod", "pods"):
                pod = self.store.get("pods", ns, name)
                return [copy.deepcopy(pod)] if pod else []
        return []

    def pod_summary(self, target: str | None = None, namespace: str | None = None) -> list[dict[str, Any]]:
        """[{name, status (kubectl STATUS column), ready, restarts, profile}] for assertions and demos."""
        pods = self.workload_pods(target, namespace) if target else self.pods(namespace or self.scenario.namespace)
        out = []
        for p in sorted(pods, key=lambda p: p["metadata"]["name"]):
            cs = (p.get("status") or {}).get("containerStatuses") or []
            out.append(
                {
                    "name": p["metadata"]["name"],
                    "status": pod_status_reason(p),
                    "ready": pod_ready(p),
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
                dep = self.store.get("deployments", ns, name)
                if dep is None:
                    return False
                st = dep.get("status") or {}
                want = int(dep["spec"].get("replicas", 1))
                return bool(
                    st.get("observedGeneration", 0) >= dep["metadata"].get("generation", 1)
                    and st.get("updatedReplicas", 0) == want
                    and st.get("replicas", 0) == want
                    and st.get("availableReplicas", 0) == want
                )
            if kind in ("statefulset", "sts", "statefulsets"):
                sts = self.store.get("statefulsets", ns, name)
                if sts is None:
                    return False
                st = sts.get("status") or {}
                want = int(sts["spec"].get("replicas", 1))
                return (
                    st.get("updateRevision") == sts_revision(sts) == st.get("currentRevision")
                    and st.get("readyReplicas", 0) == want
                    and st.get("updatedReplicas", 0) == want
                )
        return False

    def workload_healthy(self, target: str, namespace: str | None = None) -> bool:
        """At least one pod is desired, all desired pods exist, are Ready, and run a healthy profile
        (e.g. not the leaking one)."""
        ns = namespace or self.scenario.namespace
        kind, _, name = target.partition("/")
        with self.lock:
            plural = {"deployment": "deployments", "statefulset": "statefulsets"}.get(kind.lower())
            if plural is None:
                return False
            obj = self.store.get(plural, ns, name)
            if obj is None:
                return False
            want = int(obj["spec"].get("replicas", 1))
            pods = self.workload_pods(target, ns)
            # Scaled to zero nothing fails, and nothing serves either: that is not healthy.
            if want == 0 or len(pods) != want:
                return False
            for p in pods:
                sim = self.ctx.podsim.get(p["metadata"]["uid"])
                if not pod_ready(p) or sim is None or not sim.profile.get("healthy", False):
                    return False
            return True

    def service_healthy(self, name: str, namespace: str | None = None) -> bool:
        """The Service answers: its Endpoints list at least one ready address and none not ready, and
        every pod behind it runs a healthy profile that no longer carries the fault."""
        ns = namespace or self.scenario.namespace
        name = name.removeprefix("service/").removeprefix("svc/")
        with self.lock:
            ep = self.store.get("endpoints", ns, name)
            if ep is None:
                return False
            ready = [a for sub in ep.get("subsets") or [] for a in sub.get("addresses") or []]
            if not ready or any(sub.get("notReadyAddresses") for sub in ep.get("subsets") or []):
                return False
            for address in ready:
                sim = self.ctx.podsim.get((address.get("targetRef") or {}).get("uid", ""))
                if sim is None or not sim.profile.get("healthy", False) or sim.profile.get("fault", False):
                    return False
            return True

    def incident_resolved(self) -> bool:
        details = self.scenario.incident["event"]["incident"].get("custom_details") or {}
        target = details.get("resource")
        ns = details.get("namespace", self.scenario.namespace)
        if not target:
            return False
        return self.workload_healthy(target, ns)
