"""The kubelet's side of a pod: its status (phase, container states, conditions, IPs) from the
pod's simulated history, and the helpers that read a pod as the kubelet reports it."""

from __future__ import annotations

import hashlib
from typing import Any

from sandbox.apimachinery.store import Object
from sandbox.apimachinery.units import utc
from sandbox.resources.context import ClusterContext, PodSim
from sandbox.resources.events import render

# Profile states whose container keeps restarting.
FAILING = ("CrashLoopBackOff", "OOMKilled", "Error")


def pod_ready(pod: dict[str, Any]) -> bool:
    for c in (pod.get("status") or {}).get("conditions") or []:
        if c.get("type") == "Ready":
            return bool(c.get("status") == "True")
    return False


def qos(spec: dict[str, Any]) -> str:
    res = [c.get("resources") or {} for c in spec.get("containers") or []]
    if not any(r.get("requests") or r.get("limits") for r in res):
        return "BestEffort"
    if all(r.get("limits") and (r.get("requests") or r.get("limits")) == r.get("limits") for r in res):
        return "Guaranteed"
    return "Burstable"


def pod_vars(pod: Object) -> dict[str, Any]:
    """The ``$name`` variables a scenario's event, message and log texts may use."""
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


class Kubelet:
    def __init__(self, ctx: ClusterContext) -> None:
        self.ctx = ctx
        self._ip_seq = 0  # pod IPs are handed out in order

    def blocked(self, pod: dict[str, Any], created: float) -> tuple[str, str] | None:
        """Why the kubelet cannot start the pod's containers, as it says it: a Secret volume it cannot
        mount keeps the pod ContainerCreating (a FailedMount message); a missing Secret or key in the
        environment is a CreateContainerConfigError. Checked only when the scenario lists its
        Secrets (``secrets:``), so a scenario that says nothing about them is read as before."""
        if self.ctx.scenario.secrets is None:
            return None
        ns = pod["metadata"]["namespace"]
        spec = pod.get("spec") or {}

        def secret(name: str) -> dict[str, Any] | None:
            obj = self.ctx.store.get("secrets", ns, name)
            deleted = self.ctx.secrets_deleted.get((ns, name))
            if obj is None and deleted is not None and created < deleted:
                # Its containers were built while the Secret existed: they keep the values they read.
                return {"data": {"*": ""}}
            return obj

        for vol in spec.get("volumes") or []:
            src = vol.get("secret")
            if isinstance(src, dict) and not src.get("optional") and secret(str(src.get("secretName"))) is None:
                return (
                    "ContainerCreating",
                    f'MountVolume.SetUp failed for volume "{vol.get("name")}" : '
                    f'secret "{src.get("secretName")}" not found',
                )
        for c in spec.get("containers") or []:
            for src in c.get("envFrom") or []:
                ref = src.get("secretRef")
                if isinstance(ref, dict) and not ref.get("optional") and secret(str(ref.get("name"))) is None:
                    return "CreateContainerConfigError", f'secret "{ref.get("name")}" not found'
            for e in c.get("env") or []:
                ref = (e.get("valueFrom") or {}).get("secretKeyRef")
                if not isinstance(ref, dict) or ref.get("optional"):
                    continue
                obj = secret(str(ref.get("name")))
                if obj is None:
                    return "CreateContainerConfigError", f'secret "{ref.get("name")}" not found'
                data = obj.get("data") or {}
                if str(ref.get("key")) not in data and "*" not in data:
                    return (
                        "CreateContainerConfigError",
                        f"couldn't find key {ref.get('key')} in Secret {ns}/{ref.get('name')}",
                    )
        return None

    def status(self, pod: dict[str, Any], sim: PodSim, now: float) -> dict[str, Any]:
        prof = sim.profile
        status_kind = prof.get("status", "Running")
        spec = pod["spec"]
        node_name = spec.get("nodeName")
        old = pod.get("status") or {}
        st: dict[str, Any] = {"phase": "Pending", "qosClass": old.get("qosClass") or qos(spec)}
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
        node = self.ctx.store.get("nodes", "", node_name)
        host_ip = node["status"]["addresses"][0]["address"] if node else "10.0.0.1"
        if "podIP" in old:
            pod_ip = old["podIP"]
        else:
            nidx = sorted(self.ctx.store.data["nodes"]).index(("", node_name)) if node else 0
            self._ip_seq += 1
            pod_ip = f"10.244.{nidx + 1}.{(self._ip_seq * 37) % 250 + 3}"
        st.update({"hostIP": host_ip, "hostIPs": [{"ip": host_ip}], "startTime": created})
        starting = not sim.initial and sim.started is None and now - sim.created < self.ctx.t(self.ctx.timing.pod_start)
        # The kubelet builds a container's config when it creates it: a running one is not affected.
        sim.blocked = None if starting or sim.started is not None else self.blocked(pod, sim.created)
        if not starting and sim.started is None and sim.blocked is None:
            sim.started = now
            sim.last_restart = now
            sim.next_crash = now + self.ctx.t(self.ctx.timing.crash_interval)
        eff = "ContainerCreating" if starting else status_kind
        if sim.blocked is not None:
            eff = sim.blocked[0]
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
                    # The container that ran before this one: started at the restart before the last
                    # one, ended at the last one (what its own restarts say, not a fixed offset).
                    ended = sim.last_restart or now
                    began = min(sim.previous_start or ended, ended)
                    previous_id = hashlib.sha256((pod["metadata"]["uid"] + str(sim.restarts - 1)).encode())
                    cs["lastState"] = {
                        "terminated": {
                            "exitCode": code,
                            "reason": reason,
                            "startedAt": utc(began),
                            "finishedAt": utc(ended),
                            "containerID": f"containerd://{previous_id.hexdigest()}",
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
                cs["state"] = {"waiting": {"reason": eff, "message": render(msg, pod_vars(pod))}}
            elif eff == "CreateContainerConfigError":
                msg = sim.blocked[1] if sim.blocked else prof.get("message", "configuration error")
                cs["state"] = {"waiting": {"reason": eff, "message": msg}}
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
