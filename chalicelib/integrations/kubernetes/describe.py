"""``kubectl describe``-like text, ``kubectl events`` and ``kubectl top`` tables from API objects.

What an SRE reads first: identity, replica counts, each container's image, resources, state and
restarts, the conditions, then the object's events oldest first. Plain text, one fact a line.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from .tables import layout


def _age(timestamp: str | None, now: dt.datetime) -> str:
    if not timestamp:
        return "<unknown>"
    try:
        then = dt.datetime.fromisoformat(str(timestamp).replace("Z", "+00:00"))
    except ValueError:
        return "<unknown>"
    seconds = max(0, int((now - then).total_seconds()))
    for size, unit in ((86400, "d"), (3600, "h"), (60, "m")):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def _pairs(values: dict[str, Any] | None) -> str:
    return ",".join(f"{k}={v}" for k, v in sorted((values or {}).items())) or "<none>"


def _resources(resources: dict[str, Any] | None) -> list[str]:
    lines: list[str] = []
    for part in ("limits", "requests"):
        values = (resources or {}).get(part)
        if values:
            lines.append(f"    {part.capitalize()}: " + ", ".join(f"{k}={v}" for k, v in sorted(values.items())))
    return lines


def _state(state: dict[str, Any] | None) -> str:
    for name, detail in (state or {}).items():
        reason = (detail or {}).get("reason")
        code = (detail or {}).get("exitCode")
        extra = f" ({reason}{f', exit code {code}' if code is not None else ''})" if reason or code is not None else ""
        return f"{name.capitalize()}{extra}"
    return "<unknown>"


def _containers(spec: dict[str, Any], statuses: list[dict[str, Any]]) -> list[str]:
    by_name = {s.get("name"): s for s in statuses}
    lines: list[str] = ["Containers:"]
    for container in spec.get("containers") or []:
        status = by_name.get(container.get("name")) or {}
        lines.append(f"  {container.get('name')}:")
        lines.append(f"    Image: {container.get('image', '<none>')}")
        lines += _resources(container.get("resources"))
        if status:
            lines.append(f"    State: {_state(status.get('state'))}")
            if status.get("lastState"):
                lines.append(f"    Last State: {_state(status.get('lastState'))}")
            lines.append(f"    Ready: {status.get('ready', False)}")
            lines.append(f"    Restart Count: {status.get('restartCount', 0)}")
    return lines


def describe_text(obj: dict[str, Any], events: list[dict[str, Any]], now: dt.datetime | None = None) -> str:
    now = now or dt.datetime.now(dt.UTC)
    meta, spec, status = obj.get("metadata") or {}, obj.get("spec") or {}, obj.get("status") or {}
    lines = [f"Name: {meta.get('name')}"]
    if meta.get("namespace"):
        lines.append(f"Namespace: {meta['namespace']}")
    lines.append(f"Kind: {obj.get('kind', '')}")
    lines.append(f"Labels: {_pairs(meta.get('labels'))}")
    lines.append(
        f"Created: {meta.get('creationTimestamp', '<unknown>')} ({_age(meta.get('creationTimestamp'), now)} ago)"
    )
    if "replicas" in spec:
        lines.append(
            f"Replicas: {spec.get('replicas')} desired | {status.get('updatedReplicas', 0)} updated | "
            f"{status.get('replicas', 0)} total | {status.get('readyReplicas', 0)} ready"
        )
    if status.get("phase"):
        lines.append(f"Status: {status['phase']}")
    if spec.get("nodeName"):
        lines.append(f"Node: {spec['nodeName']}")
    template = (spec.get("template") or {}).get("spec")
    if template:
        lines.append("Pod Template:")
        lines += ["  " + line for line in _containers(template, [])]
    elif spec.get("containers"):
        lines += _containers(spec, status.get("containerStatuses") or [])
    conditions = status.get("conditions") or []
    if conditions:
        lines.append("Conditions:")
        for c in conditions:
            why = f" ({c['reason']})" if c.get("reason") else ""
            lines.append(f"  {c.get('type')}: {c.get('status')}{why}")
    lines.append("Events:" + ("" if events else " <none>"))
    if events:
        lines += ["  " + line for line in events_table(events, now, with_object=False).splitlines()]
    return "\n".join(lines)


def _event_time(event: dict[str, Any]) -> str:
    return str(
        event.get("lastTimestamp")
        or event.get("eventTime")
        or (event.get("metadata") or {}).get("creationTimestamp")
        or ""
    )


def events_table(events: list[dict[str, Any]], now: dt.datetime | None = None, *, with_object: bool = True) -> str:
    """LAST SEEN, TYPE, REASON, (OBJECT,) MESSAGE, oldest first, as ``kubectl events`` lists them."""
    now = now or dt.datetime.now(dt.UTC)
    if not events:
        return "No events found."
    header = ["LAST SEEN", "TYPE", "REASON", *(["OBJECT"] if with_object else []), "MESSAGE"]
    rows = []
    for e in sorted(events, key=_event_time):
        involved = e.get("involvedObject") or {}
        count = int(e.get("count") or 1)
        seen = _age(_event_time(e), now) + (f" (x{count})" if count > 1 else "")
        row = [seen, str(e.get("type", "")), str(e.get("reason", ""))]
        if with_object:
            row.append(f"{str(involved.get('kind', '')).lower()}/{involved.get('name', '')}")
        row.append(" ".join(str(e.get("message", "")).split()))
        rows.append(row)
    return layout([header, *rows])


def top_table(metrics: dict[str, Any], *, with_namespace: bool = False) -> str:
    """NAME, CPU(cores), MEMORY(bytes) per pod or node, from metrics.k8s.io."""
    rows = []
    for item in metrics.get("items") or []:
        meta = item.get("metadata") or {}
        usage = item.get("usage") or {}
        if "containers" in item:
            cpu = [c.get("usage", {}).get("cpu", "0") for c in item["containers"]]
            memory = [c.get("usage", {}).get("memory", "0") for c in item["containers"]]
            usage = {"cpu": "+".join(cpu), "memory": "+".join(memory)}
        row = [str(meta.get("name", "")), str(usage.get("cpu", "")), str(usage.get("memory", ""))]
        rows.append([str(meta.get("namespace", "")), *row] if with_namespace else row)
    if not rows:
        return "No resources found."
    header = ["NAME", "CPU(cores)", "MEMORY(bytes)"]
    return layout([["NAMESPACE", *header] if with_namespace else header, *rows])
