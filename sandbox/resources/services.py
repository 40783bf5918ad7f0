"""Services and their Endpoints and EndpointSlices (the endpoints controller's part)."""

from __future__ import annotations

import copy
from typing import Any

from sandbox.resources.context import ClusterContext
from sandbox.resources.kubelet import pod_ready
from sandbox.scenarios import parse_duration


class Services:
    def __init__(self, ctx: ClusterContext) -> None:
        self.ctx = ctx

    def load(self, now: float) -> None:
        for svc in self.ctx.scenario.services:
            self.ctx.store.commit("services", self.make(svc, now), "ADDED")

    def reconcile(self) -> None:
        for svc in list(self.ctx.store.objects("services")):
            self.update_endpoints(svc)

    def make(self, svc: dict[str, Any], now: float) -> dict[str, Any]:
        ns = svc.get("namespace", self.ctx.scenario.namespace)
        ports = []
        for p in svc.get("ports") or [{"port": 80}]:
            port = {
                "name": p.get("name"),
                "protocol": p.get("protocol", "TCP"),
                "port": int(p["port"]),
                "targetPort": p.get("targetPort", p["port"]),
            }
            ports.append({k: v for k, v in port.items() if v is not None})
        n = len(self.ctx.store.data["services"]) + 10
        return {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": self.ctx.meta(
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

    def update_endpoints(self, svc: dict[str, Any]) -> None:
        """The Service's Endpoints: Ready pods it selects as addresses, the others as not ready
        (what `kubectl describe svc` shows; `<none>` only when no pod is Ready)."""
        meta, spec = svc["metadata"], svc.get("spec") or {}
        selector = spec.get("selector") or {}
        if not selector:
            return
        ready: list[dict[str, Any]] = []
        not_ready: list[dict[str, Any]] = []
        for pod in self.ctx.store.objects("pods", meta["namespace"]):
            labels = pod["metadata"].get("labels") or {}
            ip = (pod.get("status") or {}).get("podIP")
            if not ip or any(labels.get(k) != v for k, v in selector.items()):
                continue
            address = {
                "ip": ip,
                "nodeName": (pod.get("spec") or {}).get("nodeName"),
                "targetRef": {
                    "kind": "Pod",
                    "namespace": meta["namespace"],
                    "name": pod["metadata"]["name"],
                    "uid": pod["metadata"]["uid"],
                },
            }
            (ready if pod_ready(pod) else not_ready).append(address)
        ports = [
            {
                k: v
                for k, v in {
                    "name": p.get("name"),
                    "port": p.get("targetPort", p["port"]),
                    "protocol": p.get("protocol", "TCP"),
                }.items()
                if v is not None
            }
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
        old = self.ctx.store.get("endpoints", meta["namespace"], meta["name"])
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
        self.ctx.store.commit("endpoints", ep, "MODIFIED" if old is not None else "ADDED")
        # kubectl describe svc reads the EndpointSlices labelled with the Service's name.
        addresses = [(a, True) for a in ready] + [(a, False) for a in not_ready]
        old_slice = self.ctx.store.get("endpointslices", meta["namespace"], meta["name"])
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
        self.ctx.store.commit("endpointslices", eps, "MODIFIED" if old_slice is not None else "ADDED")
