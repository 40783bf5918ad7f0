"""Pods: created for their owner with a behaviour profile the scenario picks, and moved along that
profile (restarts, events) on every controller tick."""

from __future__ import annotations

import copy
from typing import Any

from sandbox.apimachinery.patch import json_merge_patch
from sandbox.resources.context import ClusterContext, PodSim
from sandbox.resources.events import Events, render
from sandbox.resources.kubelet import FAILING, Kubelet, pod_vars, qos
from sandbox.resources.nodes import Nodes
from sandbox.resources.templates import RESTARTED_AT
from sandbox.scenarios import parse_duration


def contains(have: Any, want: Any) -> bool:
    """``want`` is part of ``have``: every key of a mapping matches (``null``: absent or empty),
    every item of a list matches some item, and scalars are equal as text (``256Mi``, ``30``)."""
    if want is None:
        return have in (None, {}, [], "")
    if isinstance(want, dict):
        return isinstance(have, dict) and all(contains(have.get(k), v) for k, v in want.items())
    if isinstance(want, list):
        return isinstance(have, list) and all(any(contains(h, w) for h in have) for w in want)
    return have is not None and str(have) == str(want)


class Pods:
    def __init__(self, ctx: ClusterContext, events: Events, nodes: Nodes, kubelet: Kubelet) -> None:
        self.ctx = ctx
        self.events = events
        self.nodes = nodes
        self.kubelet = kubelet

    def reconcile(self) -> None:
        for pod in list(self.ctx.store.objects("pods")):
            self.reconcile_pod(pod)

    def _workload_for(self, owner: dict[str, Any]) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
        """(scenario workload spec, top-level owner object) for a ReplicaSet or StatefulSet."""
        top = owner
        if owner["kind"] == "ReplicaSet":
            refs = owner["metadata"].get("ownerReferences") or []
            dep = next(
                (
                    d
                    for d in self.ctx.store.objects("deployments", owner["metadata"]["namespace"])
                    if refs and d["metadata"]["uid"] == refs[0]["uid"]
                ),
                None,
            )
            if dep is None:
                return None, owner
            top = dep
        for w in self.ctx.scenario.workloads:
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
            if "pod_spec" in cond and not contains(template["spec"], cond["pod_spec"]):
                ok = False
            if "container" in cond and not any(contains(c, cond["container"]) for c in containers):
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
        prof = copy.deepcopy(self.ctx.scenario.profiles[name])
        per_pod = prof.pop("per_pod", None) or []
        if index < len(per_pod) and (initial or not (w or {}).get("per_pod_initial_only", False)):
            prof = json_merge_patch(prof, per_pod[index])
        return name, prof

    def create_pod(
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
        now = self.ctx.now()
        created = now - parse_duration(prof.get("age", (w or {}).get("pod_age")), 2 * 3600) if initial else now
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
        unbound = self._unbound_claims(owner["metadata"]["namespace"], spec)
        if unbound:
            # The scheduler does not place a pod whose claims are not bound.
            n = len(self.ctx.store.objects("nodes"))
            prof = {
                **prof,
                "status": "Pending",
                "healthy": False,
                "fault": True,
                "message": f"0/{n} nodes are available: pod has unbound immediate PersistentVolumeClaims. "
                f"preemption: 0/{n} nodes are available: {n} Preemption is not helpful for scheduling.",
            }
        node = None if unbound else self.nodes.pick(prof, spec)
        if node is not None:
            spec["nodeName"] = node["metadata"]["name"]
        pod = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": self.ctx.meta(
                name,
                owner["metadata"]["namespace"],
                created=created,
                labels=labels,
                annotations=template["metadata"].get("annotations"),
                owner=owner,
            ),
            "spec": spec,
            "status": {"phase": "Pending", "qosClass": qos(spec)},
        }
        if owner["kind"] == "ReplicaSet":
            pod["metadata"]["generateName"] = owner["metadata"]["name"] + "-"
        sim = PodSim(pname, prof, created=created, initial=initial)
        sim.restarts = int(prof.get("restarts", 0)) if initial else 0
        if initial:
            sim.started = now - parse_duration(prof.get("started_ago"), 4 * 60 if sim.restarts else 2 * 3600)
            sim.last_restart = sim.started
            # Its restarts spread over its life: the previous container ran one interval before.
            if sim.restarts:
                sim.previous_start = max(created, sim.started - (sim.started - created) / (sim.restarts + 1))
            sim.next_crash = now + self.ctx.t(self.ctx.timing.crash_interval)
        self.ctx.podsim[pod["metadata"]["uid"]] = sim
        if initial and node is not None and self.kubelet.blocked(pod, created) is not None:
            # It never started: its containers wait for what the kubelet could not find.
            sim.started = None
            sim.restarts = 0
        pod["status"] = self.kubelet.status(pod, sim, now)
        self.ctx.store.commit("pods", pod, "ADDED")
        if not self.ctx.bootstrapping:
            if owner["kind"] == "ReplicaSet":
                self.events.record(owner, "Normal", "SuccessfulCreate", f"Created pod: {name}")
            else:
                self.events.record(
                    owner,
                    "Normal",
                    "SuccessfulCreate",
                    f"create Pod {name} in StatefulSet {owner['metadata']['name']} successful",
                )
        if node is not None:
            self.events.record(
                pod,
                "Normal",
                "Scheduled",
                f"Successfully assigned {pod['metadata']['namespace']}/{name} to {node['metadata']['name']}",
                ago=created and (now - created),
                count=1,
            )
        if initial or node is None:  # unschedulable pods never start: their events come now
            self._emit_profile_events(pod, sim)
        if unbound:
            age = now - created
            self.events.record(
                pod,
                "Warning",
                "FailedScheduling",
                str(prof["message"]),
                count=max(1, min(int(age / 60), 500)),
                first_ago=age,
            )
        if initial and sim.blocked is not None:
            # Retried since the pod was created, about once a minute (events aggregate the repeats).
            self._emit_blocked_event(pod, sim, count=max(1, min(int((now - created) / 60), 500)), since=now - created)
        return pod

    def _unbound_claims(self, namespace: str, spec: dict[str, Any]) -> list[str]:
        out = []
        for vol in spec.get("volumes") or []:
            claim = (vol.get("persistentVolumeClaim") or {}).get("claimName")
            pvc = self.ctx.store.get("persistentvolumeclaims", namespace, str(claim)) if claim else None
            if pvc is not None and (pvc.get("status") or {}).get("phase") == "Pending":
                out.append(str(claim))
        return out

    def _emit_blocked_event(self, pod: dict[str, Any], sim: PodSim, *, count: int = 1, since: float = 0.0) -> None:
        """What the kubelet reports each time it fails to start a container it cannot configure:
        ``Failed`` / ``Error: secret "x" not found`` after the image is there, or ``FailedMount``."""
        if sim.blocked is None:
            return
        state, message = sim.blocked
        first = since if count > 1 else None
        if state == "CreateContainerConfigError":
            c = pod["spec"]["containers"][0]
            self.events.record(
                pod,
                "Normal",
                "Pulled",
                f'Container image "{c["image"]}" already present on machine',
                count=count,
                first_ago=first,
            )
            self.events.record(pod, "Warning", "Failed", f"Error: {message}", count=count, first_ago=first)
        else:
            self.events.record(pod, "Warning", "FailedMount", message, count=count, first_ago=first)
        sim.next_crash = self.ctx.now() + self.ctx.t(self.ctx.timing.crash_interval)

    def _emit_profile_events(self, pod: dict[str, Any], sim: PodSim) -> None:
        vars_ = pod_vars(pod)
        for ev in sim.profile.get("events") or []:
            count = int(ev.get("count", 1)) if sim.initial else 1
            ago = parse_duration(ev.get("ago"), 60) if sim.initial else 0.0
            self.events.record(
                pod,
                ev.get("type", "Normal"),
                ev["reason"],
                render(ev["message"], vars_),
                count=count,
                ago=ago,
                source=ev.get("source"),
            )
        sim.events_done = True

    def reconcile_pod(self, pod: dict[str, Any]) -> None:
        sim = self.ctx.podsim.get(pod["metadata"]["uid"])
        if sim is None:
            return
        now = self.ctx.now()
        status_kind = sim.profile.get("status")
        was_started = sim.started is not None
        if status_kind in FAILING and sim.started is not None and now >= sim.next_crash:
            sim.restarts += 1
            sim.previous_start = sim.last_restart
            sim.last_restart = now
            sim.next_crash = now + self.ctx.t(self.ctx.timing.crash_interval)
        new_status = self.kubelet.status(pod, sim, now)
        if sim.blocked is not None and now >= sim.next_crash:
            self._emit_blocked_event(pod, sim)
        if not was_started and sim.started is not None:
            self._emit_start_events(pod, sim)
        if new_status != pod.get("status"):
            pod = copy.deepcopy(pod)
            pod["status"] = new_status
            self.ctx.store.commit("pods", pod, "MODIFIED")

    def _emit_start_events(self, pod: dict[str, Any], sim: PodSim) -> None:
        status_kind = sim.profile.get("status")
        c = pod["spec"]["containers"][0]
        if status_kind not in ("ImagePullBackOff", "ErrImagePull", "Pending", "ContainerCreating"):
            self.events.record(pod, "Normal", "Pulled", f'Container image "{c["image"]}" already present on machine')
        # A container whose config cannot be built (missing Secret/ConfigMap) is never created.
        if status_kind not in (
            "ImagePullBackOff",
            "ErrImagePull",
            "Pending",
            "ContainerCreating",
            "CreateContainerConfigError",
        ):
            self.events.record(pod, "Normal", "Created", f"Created container {c['name']}")
            self.events.record(pod, "Normal", "Started", f"Started container {c['name']}")
        if not sim.events_done:
            self._emit_profile_events(pod, sim)
