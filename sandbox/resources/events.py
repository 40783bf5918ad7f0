"""Events: what the kubelet and the controllers report about an object.

A repeated event (same object, reason and message) counts up instead of adding a new one, as the
API server's event aggregation does.
"""

from __future__ import annotations

import copy
import string
from typing import Any

from sandbox.apimachinery.store import Object
from sandbox.apimachinery.units import parse_time, utc
from sandbox.resources.context import ClusterContext


def render(text: str, vars_: dict[str, Any]) -> str:
    """A scenario's message or log text with ``$pod``, ``$node`` ... filled in."""
    return string.Template(text).safe_substitute({k: str(v) for k, v in vars_.items()})


#: How long the API server keeps an event after its last write (kube-apiserver --event-ttl).
EVENT_TTL = 3600.0


class Events:
    def __init__(self, ctx: ClusterContext) -> None:
        self.ctx = ctx

    def expire(self) -> None:
        """Drop the events last written more than :data:`EVENT_TTL` ago by the cluster's clock, as
        etcd's lease on each event does (a repeated event's new count renews it)."""
        cutoff = self.ctx.now() - EVENT_TTL
        for ev in list(self.ctx.store.data["events"].values()):
            last = parse_time(ev.get("lastTimestamp") or ev["metadata"].get("creationTimestamp"))
            if last is not None and last < cutoff:
                self.ctx.store.commit("events", copy.deepcopy(ev), "DELETED")

    def record(
        self,
        obj: Object,
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
        now = self.ctx.now()
        last = now - ago
        first = now - (first_ago if first_ago is not None else ago + (count - 1) * 60)
        born = parse_time(meta.get("creationTimestamp"))
        if born is not None and first < born and obj.get("kind") != "Node":
            first = min(born + min(60.0, (last - born) / 2), last)
        for ev in self.ctx.store.data["events"].values():
            io = ev["involvedObject"]
            if io.get("uid") == meta["uid"] and ev["reason"] == reason and ev["message"] == message:
                ev = copy.deepcopy(ev)
                ev["count"] = int(ev.get("count", 1)) + count
                ev["lastTimestamp"] = utc(last)
                self.ctx.store.commit("events", ev, "MODIFIED")
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
            "metadata": self.ctx.meta(f"{meta['name']}.{self.ctx.rng.getrandbits(64):016x}", ns, created=first),
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
        self.ctx.store.commit("events", ev, "ADDED")
