"""Server-side printing: ``meta.k8s.io/v1 Table`` responses, as kubectl asks for on ``get``.

Columns follow the real API server's printers (priority 1 columns are shown by ``-o wide``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from sandbox.apimachinery.selectors import selector_string
from sandbox.apimachinery.units import human_duration, parse_time

Col = tuple[str, str, int, str]  # name, type, priority, format


def _age(ts: str | None, now: float) -> str:
    t = parse_time(ts)
    return "<unknown>" if t is None else human_duration(now - t)


def pod_status_reason(pod: dict[str, Any]) -> str:
    """kubectl's STATUS column for a pod (printPod)."""
    st = pod.get("status") or {}
    reason = st.get("reason") or st.get("phase") or "Unknown"
    has_running = False
    for cs in reversed(st.get("containerStatuses") or []):
        state = cs.get("state") or {}
        if state.get("waiting", {}).get("reason"):
            reason = state["waiting"]["reason"]
        elif "terminated" in state and state["terminated"].get("reason"):
            reason = state["terminated"]["reason"]
        elif "terminated" in state:
            term = state["terminated"]
            reason = f"Signal:{term['signal']}" if term.get("signal") else f"ExitCode:{term.get('exitCode', 0)}"
        elif cs.get("ready") and "running" in state:
            has_running = True
    if reason == "Completed" and has_running:
        ready = any(c.get("type") == "Ready" and c.get("status") == "True" for c in st.get("conditions") or [])
        reason = "Running" if ready else "NotReady"
    if pod["metadata"].get("deletionTimestamp"):
        reason = "Terminating"
    return reason


def _pod_row(pod: dict[str, Any], now: float) -> list[Any]:
    st = pod.get("status") or {}
    statuses = st.get("containerStatuses") or []
    total = len(pod["spec"].get("containers") or [])
    ready = sum(1 for c in statuses if c.get("ready") and "running" in (c.get("state") or {}))
    restarts = sum(int(c.get("restartCount", 0)) for c in statuses)
    last_restart = None
    for c in statuses:
        fin = ((c.get("lastState") or {}).get("terminated") or {}).get("finishedAt")
        t = parse_time(fin)
        if t and (last_restart is None or t > last_restart):
            last_restart = t
    restarts_s = str(restarts)
    if restarts and last_restart:
        restarts_s = f"{restarts} ({human_duration(now - last_restart)} ago)"
    return [
        pod["metadata"]["name"],
        f"{ready}/{total}",
        pod_status_reason(pod),
        restarts_s,
        _age(pod["metadata"].get("creationTimestamp"), now),
        st.get("podIP") or "<none>",
        pod["spec"].get("nodeName") or "<none>",
        st.get("nominatedNodeName") or "<none>",
        "<none>",
    ]


def _containers(tpl: dict[str, Any]) -> tuple[str, str]:
    cs = (tpl.get("spec") or {}).get("containers") or []
    return ",".join(c["name"] for c in cs), ",".join(c.get("image", "") for c in cs)


def _deploy_row(d: dict[str, Any], now: float) -> list[Any]:
    st = d.get("status") or {}
    names, images = _containers(d["spec"]["template"])
    return [
        d["metadata"]["name"],
        f"{st.get('readyReplicas', 0)}/{d['spec'].get('replicas', 1)}",
        int(st.get("updatedReplicas", 0)),
        int(st.get("availableReplicas", 0)),
        _age(d["metadata"].get("creationTimestamp"), now),
        names,
        images,
        selector_string(d["spec"].get("selector")),
    ]


def _rs_row(rs: dict[str, Any], now: float) -> list[Any]:
    st = rs.get("status") or {}
    names, images = _containers(rs["spec"]["template"])
    return [
        rs["metadata"]["name"],
        int(rs["spec"].get("replicas", 0)),
        int(st.get("replicas", 0)),
        int(st.get("readyReplicas", 0)),
        _age(rs["metadata"].get("creationTimestamp"), now),
        names,
        images,
        selector_string(rs["spec"].get("selector")),
    ]


def _sts_row(s: dict[str, Any], now: float) -> list[Any]:
    st = s.get("status") or {}
    names, images = _containers(s["spec"]["template"])
    return [
        s["metadata"]["name"],
        f"{st.get('readyReplicas', 0)}/{s['spec'].get('replicas', 1)}",
        _age(s["metadata"].get("creationTimestamp"), now),
        names,
        images,
    ]


def _svc_row(s: dict[str, Any], now: float) -> list[Any]:
    spec = s["spec"]
    ports = (
        ",".join(
            f"{p['port']}/{p.get('protocol', 'TCP')}"
            if not p.get("nodePort")
            else f"{p['port']}:{p['nodePort']}/{p.get('protocol', 'TCP')}"
            for p in spec.get("ports") or []
        )
        or "<none>"
    )
    ext = ",".join(spec.get("externalIPs") or []) or ("<pending>" if spec.get("type") == "LoadBalancer" else "<none>")
    sel = ",".join(f"{k}={v}" for k, v in sorted((spec.get("selector") or {}).items())) or "<none>"
    return [
        s["metadata"]["name"],
        spec.get("type", "ClusterIP"),
        spec.get("clusterIP", "<none>"),
        ext,
        ports,
        _age(s["metadata"].get("creationTimestamp"), now),
        sel,
    ]


def _node_row(n: dict[str, Any], now: float) -> list[Any]:
    st = n.get("status") or {}
    ready = next((c for c in st.get("conditions") or [] if c.get("type") == "Ready"), None)
    status = "Ready" if ready and ready.get("status") == "True" else "NotReady"
    if (n.get("spec") or {}).get("unschedulable"):
        status += ",SchedulingDisabled"
    roles = sorted(
        k.split("/", 1)[1] for k in (n["metadata"].get("labels") or {}) if k.startswith("node-role.kubernetes.io/")
    ) or ["<none>"]
    addrs = {a["type"]: a["address"] for a in st.get("addresses") or []}
    info = st.get("nodeInfo") or {}
    return [
        n["metadata"]["name"],
        status,
        ",".join(roles),
        _age(n["metadata"].get("creationTimestamp"), now),
        info.get("kubeletVersion", ""),
        addrs.get("InternalIP", "<none>"),
        addrs.get("ExternalIP", "<none>"),
        info.get("osImage", "<unknown>"),
        info.get("kernelVersion", "<unknown>"),
        info.get("containerRuntimeVersion", "<unknown>"),
    ]


def _ns_row(n: dict[str, Any], now: float) -> list[Any]:
    return [
        n["metadata"]["name"],
        (n.get("status") or {}).get("phase", "Active"),
        _age(n["metadata"].get("creationTimestamp"), now),
    ]


def _cm_row(c: dict[str, Any], now: float) -> list[Any]:
    return [
        c["metadata"]["name"],
        len(c.get("data") or {}) + len(c.get("binaryData") or {}),
        _age(c["metadata"].get("creationTimestamp"), now),
    ]


def _secret_row(c: dict[str, Any], now: float) -> list[Any]:
    return [
        c["metadata"]["name"],
        c.get("type") or "Opaque",
        len(c.get("data") or {}),
        _age(c["metadata"].get("creationTimestamp"), now),
    ]


def _sc_row(c: dict[str, Any], now: float) -> list[Any]:
    default = (c["metadata"].get("annotations") or {}).get("storageclass.kubernetes.io/is-default-class") == "true"
    return [
        c["metadata"]["name"] + (" (default)" if default else ""),
        c.get("provisioner", ""),
        c.get("reclaimPolicy", "Delete"),
        c.get("volumeBindingMode", "Immediate"),
        bool(c.get("allowVolumeExpansion", False)),
        _age(c["metadata"].get("creationTimestamp"), now),
    ]


def _event_row(e: dict[str, Any], now: float) -> list[Any]:
    io = e.get("involvedObject") or {}
    count = int(e.get("count") or 1)
    last = e.get("lastTimestamp") or e.get("eventTime") or e["metadata"].get("creationTimestamp")
    first = e.get("firstTimestamp") or e.get("eventTime") or e["metadata"].get("creationTimestamp")
    last_s = _age(last, now)
    if count > 1:
        last_s = f"{last_s} (x{count} over {_age(first, now)})"
    src = e.get("source") or {}
    source = src.get("component", "")
    if src.get("host"):
        source = f"{source}, {src['host']}"
    return [
        last_s,
        e.get("type", ""),
        e.get("reason", ""),
        f"{io.get('kind', '').lower()}/{io.get('name', '')}",
        io.get("fieldPath", ""),
        source,
        (e.get("message") or "").strip(),
        _age(first, now),
        count,
        e["metadata"]["name"],
    ]


def _pvc_row(c: dict[str, Any], now: float) -> list[Any]:
    spec, st = c.get("spec") or {}, c.get("status") or {}
    modes = ",".join(
        {"ReadWriteOnce": "RWO", "ReadOnlyMany": "ROX", "ReadWriteMany": "RWX", "ReadWriteOncePod": "RWOP"}.get(m, m)
        for m in st.get("accessModes") or []
    )
    return [
        c["metadata"]["name"],
        st.get("phase", "Pending"),
        spec.get("volumeName", ""),
        (st.get("capacity") or {}).get("storage", ""),
        modes,
        spec.get("storageClassName", "<unset>"),
        "<unset>",
        _age(c["metadata"].get("creationTimestamp"), now),
        spec.get("volumeMode", "Filesystem"),
    ]


def _cr_row(c: dict[str, Any], now: float) -> list[Any]:
    owner = next(iter(c["metadata"].get("ownerReferences") or []), None)
    ctrl = f"{owner['kind'].lower()}.apps/{owner['name']}" if owner else "<none>"
    return [c["metadata"]["name"], ctrl, c.get("revision", 0), _age(c["metadata"].get("creationTimestamp"), now)]


def _endpoints_row(e: dict[str, Any], now: float) -> list[Any]:
    shown = [
        f"{a['ip']}:{p['port']}"
        for sub in e.get("subsets") or []
        for a in sub.get("addresses") or []
        for p in sub.get("ports") or [{"port": ""}]
    ]
    text = ",".join(shown[:3]) + (f" + {len(shown) - 3} more..." if len(shown) > 3 else "")
    return [e["metadata"]["name"], text or "<none>", _age(e["metadata"].get("creationTimestamp"), now)]


def _generic_row(o: dict[str, Any], now: float) -> list[Any]:
    return [o["metadata"]["name"], _age(o["metadata"].get("creationTimestamp"), now)]


S, N = "string", "integer"
PRINTERS: dict[str, tuple[list[Col], Callable[[dict[str, Any], float], list[Any]]]] = {
    "Endpoints": ([("Name", S, 0, "name"), ("Endpoints", S, 0, ""), ("Age", S, 0, "")], _endpoints_row),
    "Pod": (
        [
            ("Name", S, 0, "name"),
            ("Ready", S, 0, ""),
            ("Status", S, 0, ""),
            ("Restarts", S, 0, ""),
            ("Age", S, 0, ""),
            ("IP", S, 1, ""),
            ("Node", S, 1, ""),
            ("Nominated Node", S, 1, ""),
            ("Readiness Gates", S, 1, ""),
        ],
        _pod_row,
    ),
    "Deployment": (
        [
            ("Name", S, 0, "name"),
            ("Ready", S, 0, ""),
            ("Up-to-date", N, 0, ""),
            ("Available", N, 0, ""),
            ("Age", S, 0, ""),
            ("Containers", S, 1, ""),
            ("Images", S, 1, ""),
            ("Selector", S, 1, ""),
        ],
        _deploy_row,
    ),
    "ReplicaSet": (
        [
            ("Name", S, 0, "name"),
            ("Desired", N, 0, ""),
            ("Current", N, 0, ""),
            ("Ready", N, 0, ""),
            ("Age", S, 0, ""),
            ("Containers", S, 1, ""),
            ("Images", S, 1, ""),
            ("Selector", S, 1, ""),
        ],
        _rs_row,
    ),
    "StatefulSet": (
        [
            ("Name", S, 0, "name"),
            ("Ready", S, 0, ""),
            ("Age", S, 0, ""),
            ("Containers", S, 1, ""),
            ("Images", S, 1, ""),
        ],
        _sts_row,
    ),
    "Service": (
        [
            ("Name", S, 0, "name"),
            ("Type", S, 0, ""),
            ("Cluster-IP", S, 0, ""),
            ("External-IP", S, 0, ""),
            ("Port(s)", S, 0, ""),
            ("Age", S, 0, ""),
            ("Selector", S, 1, ""),
        ],
        _svc_row,
    ),
    "Node": (
        [
            ("Name", S, 0, "name"),
            ("Status", S, 0, ""),
            ("Roles", S, 0, ""),
            ("Age", S, 0, ""),
            ("Version", S, 0, ""),
            ("Internal-IP", S, 1, ""),
            ("External-IP", S, 1, ""),
            ("OS-Image", S, 1, ""),
            ("Kernel-Version", S, 1, ""),
            ("Container-Runtime", S, 1, ""),
        ],
        _node_row,
    ),
    "Namespace": ([("Name", S, 0, "name"), ("Status", S, 0, ""), ("Age", S, 0, "")], _ns_row),
    "ConfigMap": ([("Name", S, 0, "name"), ("Data", N, 0, ""), ("Age", S, 0, "")], _cm_row),
    "StorageClass": (
        [
            ("Name", S, 0, "name"),
            ("Provisioner", S, 0, ""),
            ("ReclaimPolicy", S, 0, ""),
            ("VolumeBindingMode", S, 0, ""),
            ("AllowVolumeExpansion", "boolean", 0, ""),
            ("Age", S, 0, ""),
        ],
        _sc_row,
    ),
    "Secret": ([("Name", S, 0, "name"), ("Type", S, 0, ""), ("Data", N, 0, ""), ("Age", S, 0, "")], _secret_row),
    "Event": (
        [
            ("Last Seen", S, 0, ""),
            ("Type", S, 0, ""),
            ("Reason", S, 0, ""),
            ("Object", S, 0, ""),
            ("Subobject", S, 1, ""),
            ("Source", S, 1, ""),
            ("Message", S, 0, ""),
            ("First Seen", S, 1, ""),
            ("Count", N, 1, ""),
            ("Name", S, 1, ""),
        ],
        _event_row,
    ),
    "PersistentVolumeClaim": (
        [
            ("Name", S, 0, "name"),
            ("Status", S, 0, ""),
            ("Volume", S, 0, ""),
            ("Capacity", S, 0, ""),
            ("Access Modes", S, 0, ""),
            ("StorageClass", S, 0, ""),
            ("VolumeAttributesClass", S, 0, ""),
            ("Age", S, 0, ""),
            ("VolumeMode", S, 1, ""),
        ],
        _pvc_row,
    ),
    "ControllerRevision": (
        [("Name", S, 0, "name"), ("Controller", S, 0, ""), ("Revision", N, 0, ""), ("Age", S, 0, "")],
        _cr_row,
    ),
}


def partial_metadata(obj: dict[str, Any]) -> dict[str, Any]:
    return {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": obj["metadata"]}


def to_table(
    kind: str,
    items: list[dict[str, Any]],
    resource_version: str,
    *,
    include_object: str = "Metadata",
    now: float | None = None,
) -> dict[str, Any]:
    cols, row_fn = PRINTERS.get(kind, ([("Name", S, 0, "name"), ("Age", S, 0, "")], _generic_row))
    now = time.time() if now is None else now
    rows = []
    for obj in items:
        row: dict[str, Any] = {"cells": row_fn(obj, now)}
        if include_object == "Object":
            row["object"] = obj
        elif include_object != "None":
            row["object"] = partial_metadata(obj)
        rows.append(row)
    return {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": {"resourceVersion": resource_version},
        "columnDefinitions": [
            {"name": n, "type": t, "format": f, "description": "", "priority": p} for n, t, p, f in cols
        ],
        "rows": rows,
    }
