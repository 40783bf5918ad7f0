"""metrics.k8s.io: PodMetrics and NodeMetrics from the usage the scenario's profiles give."""

from __future__ import annotations

from typing import Any

from sandbox.apimachinery.selectors import labels_match, parse_label_selector
from sandbox.apimachinery.units import cpu_milli, mem_bytes, utc
from sandbox.resources.context import ClusterContext


def pod_usage(ctx: ClusterContext, pod: dict[str, Any]) -> dict[str, str] | None:
    sim = ctx.podsim.get(pod["metadata"]["uid"])
    if sim is None or sim.started is None:
        return None
    st = sim.profile.get("status")
    if st in ("Pending", "ImagePullBackOff", "ErrImagePull", "CreateContainerConfigError", "ContainerCreating"):
        return None
    usage = sim.profile.get("usage") or {}
    return {"cpu": str(usage.get("cpu", "5m")), "memory": str(usage.get("memory", "32Mi"))}


def _fmt_cpu(milli: float) -> str:
    return f"{round(milli * 1_000_000_000)}n"


def _fmt_mem(b: float) -> str:
    return f"{round(b / 1024)}Ki"


def pod_metrics(
    ctx: ClusterContext, namespace: str | None, label_selector: str | None = None, name: str | None = None
) -> list[dict[str, Any]]:
    reqs = parse_label_selector(label_selector)
    out = []
    with ctx.store.lock:
        for pod in ctx.store.objects("pods", namespace):
            if name and pod["metadata"]["name"] != name:
                continue
            if not labels_match(reqs, pod["metadata"].get("labels")):
                continue
            usage = pod_usage(ctx, pod)
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
                        "creationTimestamp": utc(ctx.now()),
                        "labels": pod["metadata"].get("labels") or {},
                    },
                    "timestamp": utc(ctx.now() - 10),
                    "window": "15.01s",
                    "containers": [
                        {
                            "name": c["name"],
                            "usage": {
                                "cpu": _fmt_cpu(cpu / len(containers) / 1000),
                                "memory": _fmt_mem(mem / len(containers)),
                            },
                        }
                        for c in containers
                    ],
                }
            )
    return out


def node_metrics(
    ctx: ClusterContext, name: str | None = None, label_selector: str | None = None
) -> list[dict[str, Any]]:
    reqs = parse_label_selector(label_selector)
    out = []
    with ctx.store.lock:
        pods = ctx.store.objects("pods")
        for node in ctx.store.objects("nodes"):
            nname = node["metadata"]["name"]
            if name and nname != name:
                continue
            if not labels_match(reqs, node["metadata"].get("labels")):
                continue
            spec = next((n for n in ctx.scenario.nodes if n["name"] == nname), {})
            base = spec.get("usage") or {}
            cpu = cpu_milli(base.get("cpu", "600m"))
            mem = mem_bytes(base.get("memory", "4Gi"))
            for p in pods:
                if p["spec"].get("nodeName") == nname:
                    u = pod_usage(ctx, p)
                    if u:
                        cpu += cpu_milli(u["cpu"])
                        mem += mem_bytes(u["memory"])
            out.append(
                {
                    "kind": "NodeMetrics",
                    "apiVersion": "metrics.k8s.io/v1beta1",
                    "metadata": {
                        "name": nname,
                        "creationTimestamp": utc(ctx.now()),
                        "labels": node["metadata"].get("labels") or {},
                    },
                    "timestamp": utc(ctx.now() - 10),
                    "window": "20.05s",
                    "usage": {"cpu": _fmt_cpu(cpu / 1000), "memory": _fmt_mem(mem)},
                }
            )
    return out
