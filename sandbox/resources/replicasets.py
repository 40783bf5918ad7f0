"""ReplicaSets: keep the desired number of pods, deleting not-ready and newest first, and report
how many are ready."""

from __future__ import annotations

import collections
import copy
from typing import Any

from sandbox.apimachinery.units import parse_time
from sandbox.resources.context import ClusterContext
from sandbox.resources.events import Events
from sandbox.resources.kubelet import pod_ready
from sandbox.resources.pods import Pods
from sandbox.resources.templates import NAME_CHARS, revision


class ReplicaSets:
    def __init__(self, ctx: ClusterContext, events: Events, pods: Pods) -> None:
        self.ctx = ctx
        self.events = events
        self.pods = pods
        # ReplicaSet uid -> pods created so far (a profile's per_pod entries go by this index)
        self._created: dict[str, int] = collections.defaultdict(int)

    def reconcile(self, bootstrap: bool) -> None:
        for rs in list(self.ctx.store.objects("replicasets")):
            self.reconcile_one(rs, bootstrap)

    def update_statuses(self) -> None:
        for rs in list(self.ctx.store.objects("replicasets")):
            self.update_status(rs)

    def reconcile_one(self, rs: dict[str, Any], bootstrap: bool) -> None:
        pods = self.ctx.store.owned("pods", rs)
        want = int(rs["spec"].get("replicas", 0))
        if len(pods) < want:
            for _ in range(want - len(pods)):
                self._create_pod_for(rs, bootstrap)
        elif len(pods) > want:
            # delete not-ready and newest first
            victims = sorted(pods, key=lambda p: (pod_ready(p), -(parse_time(p["metadata"]["creationTimestamp"]) or 0)))
            for pod in victims[: len(pods) - want]:
                self.ctx.delete_now("pods", pod)
                self.events.record(rs, "Normal", "SuccessfulDelete", f"Deleted pod: {pod['metadata']['name']}")

    def _create_pod_for(self, rs: dict[str, Any], bootstrap: bool) -> dict[str, Any]:
        key = rs["metadata"]["uid"]
        index = self._created[key]
        self._created[key] += 1
        existing = {p["metadata"]["name"] for p in self.ctx.store.objects("pods", rs["metadata"]["namespace"])}
        while True:
            name = f"{rs['metadata']['name']}-{''.join(self.ctx.rng.choice(NAME_CHARS) for _ in range(5))}"
            if name not in existing:
                break
        tpl = rs["spec"]["template"]
        return self.pods.create_pod(
            rs, name, tpl, dict(tpl["metadata"].get("labels") or {}), bootstrap, revision(rs), index
        )

    def update_status(self, rs: dict[str, Any]) -> None:
        pods = self.ctx.store.owned("pods", rs)
        ready = sum(1 for p in pods if pod_ready(p))
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
            self.ctx.store.commit("replicasets", rs, "MODIFIED")
