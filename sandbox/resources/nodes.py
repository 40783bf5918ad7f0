"""Nodes: built from the scenario's ``nodes:`` entries, and the scheduler's choice of one for a pod."""

from __future__ import annotations

import re
from typing import Any

from sandbox.apimachinery.store import Object
from sandbox.apimachinery.units import mem_bytes, parse_quantity, utc
from sandbox.resources.context import ClusterContext
from sandbox.scenarios import parse_duration


class Nodes:
    def __init__(self, ctx: ClusterContext) -> None:
        self.ctx = ctx
        self._next = 0  # round-robin scheduling

    def load(self, now: float) -> None:
        for i, n in enumerate(self.ctx.scenario.nodes):
            self.ctx.store.commit("nodes", self.make(n, i, now), "ADDED")

    def make(self, n: dict[str, Any], i: int, now: float) -> dict[str, Any]:
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
            "metadata": self.ctx.meta(
                n["name"],
                None,
                created=now - parse_duration(n.get("age"), 40 * 86400),
                labels={
                    **{str(k): str(v) for k, v in (n.get("labels") or {}).items()},
                    "kubernetes.io/hostname": n["name"],
                    "kubernetes.io/os": "linux",
                    "kubernetes.io/arch": "amd64",
                    "node.kubernetes.io/instance-type": n.get("instance_type", "m5.xlarge"),
                    "topology.kubernetes.io/zone": n.get("zone", f"us-east-1{'abc'[i % 3]}"),
                    **({"node-role.kubernetes.io/worker": ""} if n.get("role", "worker") == "worker" else {}),
                },
            ),
            "spec": {
                "podCIDR": f"10.244.{i + 1}.0/24",
                "providerID": f"aws:///us-east-1a/i-0{i:015x}",
                # What `kubectl describe node` lists under Taints (dedicated=batch:NoSchedule ...).
                **({"taints": [dict(t) for t in n["taints"]]} if n.get("taints") else {}),
            },
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

    def pick(self, prof: dict[str, Any], spec: dict[str, Any] | None = None) -> Object | None:
        """The node for a pod with profile ``prof``: none for a Pending profile, else the profile's or the
        next of the nodes that fit the pod's nodeSelector and whose NoSchedule taints it tolerates (the
        next of all nodes when none fits: the profile, not the scheduler, says whether it is Pending)."""
        nodes = self.ctx.store.objects("nodes")
        if prof.get("status") == "Pending" or not nodes:
            return None
        if prof.get("node"):
            return next((n for n in nodes if n["metadata"]["name"] == prof["node"]), nodes[0])
        fitting = [n for n in nodes if fits(n, spec or {})]
        if fitting:
            nodes = fitting
        node = nodes[self._next % len(nodes)]
        self._next += 1
        return node


def tolerates(tolerations: list[dict[str, Any]], taint: dict[str, Any]) -> bool:
    for t in tolerations:
        if t.get("effect") and t.get("effect") != taint.get("effect"):
            continue
        if t.get("operator") == "Exists" and (not t.get("key") or t.get("key") == taint.get("key")):
            return True
        if t.get("key") == taint.get("key") and str(t.get("value", "")) == str(taint.get("value", "")):
            return True
    return False


def fits(node: Object, spec: dict[str, Any]) -> bool:
    """The pod's nodeSelector matches the node's labels and it tolerates the node's scheduling taints."""
    labels = node["metadata"].get("labels") or {}
    if any(labels.get(k) != str(v) for k, v in (spec.get("nodeSelector") or {}).items()):
        return False
    tolerations = spec.get("tolerations") or []
    return all(
        tolerates(tolerations, taint)
        for taint in (node.get("spec") or {}).get("taints") or []
        if taint.get("effect") in ("NoSchedule", "NoExecute")
    )
