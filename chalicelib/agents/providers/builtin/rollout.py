"""What the rollout history says: did the current revision bring the failure?

A failure is the new revision's when every failing pod runs the current template, and the
revision is recent or the previous one still serves. Then rolling back is the fix a responder
makes first, whatever the symptom (a config error, a missing Secret, a probe that kills a slow
start, pods that never become Ready): the symptom only explains why.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.agents.providers.builtin.facts import (
    CONFIG_ERROR_RE,
    ERROR_LINE_RE,
    PROBE_RE,
    Findings,
    first_container,
    first_match,
    memory_bytes,
    rs_revision,
)

#: A revision younger than this is "the change before the incident".
RECENT_SECONDS = 6 * 3600


def _current_and_previous(f: Findings) -> tuple[dict[str, Any], dict[str, Any]] | None:
    current = next((rs for rs in f.replicasets if rs_revision(rs) == f.revision), None)
    older = [rs for rs in f.replicasets if 0 < rs_revision(rs) < f.revision]
    if current is None or not older:
        return None
    return current, max(older, key=rs_revision)


def lowered_memory_limit(f: Findings) -> tuple[str, str] | None:
    """(previous limit, current limit) when the current revision lowered the memory limit."""
    pair = _current_and_previous(f)
    if pair is None:
        return None
    limits = [((first_container(rs).get("resources") or {}).get("limits") or {}).get("memory") for rs in pair]
    now, before = (memory_bytes(str(v)) if v else None for v in limits)
    if now is None or before is None or now >= before:
        return None
    return str(limits[1]), str(limits[0])


def dropped_pull_secrets(f: Findings) -> list[str]:
    """The imagePullSecrets the previous revision's pods had and the current revision's have not."""
    pair = _current_and_previous(f)
    if pair is None:
        return []

    def names(rs: dict[str, Any]) -> set[str]:
        spec = ((rs.get("spec") or {}).get("template") or {}).get("spec") or {}
        return {str(ref.get("name")) for ref in spec.get("imagePullSecrets") or [] if isinstance(ref, dict)}

    current, previous = pair
    return sorted(names(previous) - names(current))


#: The container fields whose change alone can make a healthy image fail its probes.
PROBE_FIELDS = ("livenessProbe", "readinessProbe", "startupProbe")


def _containers(rs: dict[str, Any]) -> dict[str, dict[str, Any]]:
    spec = ((rs.get("spec") or {}).get("template") or {}).get("spec") or {}
    return {str(c.get("name")): c for c in spec.get("containers") or [] if isinstance(c, dict)}


def changed_probes(f: Findings) -> list[str]:
    """The probes (``livenessProbe``...) the current revision changed on a container both revisions run."""
    pair = _current_and_previous(f)
    if pair is None:
        return []
    current, previous = (_containers(rs) for rs in pair)
    changed = {
        field
        for name, container in current.items()
        if name in previous
        for field in PROBE_FIELDS
        if (container.get(field) or None) != (previous[name].get(field) or None)
    }
    return sorted(changed)


def _cpu(value: Any) -> float | None:
    text = str(value or "")
    try:
        return float(text[:-1]) / 1000 if text.endswith("m") else float(text)
    except ValueError:
        return None


def raised_requests(f: Findings) -> list[str]:
    """``cpu 250m -> 25`` for each resource request the current revision raised on a container."""
    pair = _current_and_previous(f)
    if pair is None:
        return []
    current, previous = (_containers(rs) for rs in pair)
    raised: list[str] = []
    for name, container in current.items():
        if name not in previous:
            continue
        now = (container.get("resources") or {}).get("requests") or {}
        before = (previous[name].get("resources") or {}).get("requests") or {}
        for resource, amount in (("cpu", _cpu), ("memory", lambda v: memory_bytes(str(v)) if v else None)):
            new, old = amount(now.get(resource)), amount(before.get(resource))
            if new is not None and (old is None or new > old):
                raised.append(f"{resource} request {before.get(resource) or 'none'} -> {now.get(resource)}")
    return raised


#: The pod-template fields that decide where a pod may run.
PLACEMENT_FIELDS = ("tolerations", "nodeSelector", "affinity")


def placement_changes(f: Findings) -> list[str]:
    """The placement fields (tolerations, nodeSelector, affinity) the current revision changed."""
    pair = _current_and_previous(f)
    if pair is None:
        return []
    specs = [((rs.get("spec") or {}).get("template") or {}).get("spec") or {} for rs in pair]
    return [k for k in PLACEMENT_FIELDS if (specs[0].get(k) or None) != (specs[1].get(k) or None)]


def current_template_hash(f: Findings) -> str | None:
    pair = _current_and_previous(f)
    if pair is None:
        return None
    return ((pair[0].get("metadata") or {}).get("labels") or {}).get("pod-template-hash")


def _age_seconds(obj: dict[str, Any], now: float) -> float | None:
    stamp = (obj.get("metadata") or {}).get("creationTimestamp")
    if not stamp:
        return None
    try:
        return now - datetime.fromisoformat(str(stamp).replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def regression(f: Findings, warnings: list[dict[str, Any]], *, now: float) -> tuple[str, str] | None:
    """(symptom, evidence) when the current revision's pods fail and the change is to blame."""
    pair = _current_and_previous(f)
    if pair is None:
        return None
    current, previous = pair
    current_hash = ((current.get("metadata") or {}).get("labels") or {}).get("pod-template-hash")
    failing = [p for p in f.pods if not p.healthy and not p.unschedulable]
    if not failing or not current_hash or any(p.template_hash != current_hash for p in failing):
        return None
    age = _age_seconds(current, now)
    previous_serves = int((previous.get("status") or {}).get("readyReplicas") or 0) > 0
    if not previous_serves and (age is None or age > RECENT_SECONDS):
        return None
    names = {p.name for p in failing}
    mine = [e for e in warnings if (e.get("involvedObject") or {}).get("name") in names]
    probes = [str(e.get("message")) for e in mine if PROBE_RE.search(str(e.get("message") or ""))]
    pod = failing[0]
    error = first_match(ERROR_LINE_RE, f.logs)
    if pod.waiting == "CreateContainerConfigError":
        detail = pod.waiting_message or next((str(e.get("message")) for e in mine), "configuration missing")
        return "CreateContainerConfigError", f"the new pods cannot start: {detail}"
    liveness = next((m for m in probes if m.lower().startswith("liveness")), None)
    if liveness and pod.restarts > 0:
        return (
            pod.waiting or "Restarting",
            f"the liveness probe kills the container before it is ready (exit code {pod.exit_code}): {liveness}",
        )
    config_line = first_match(CONFIG_ERROR_RE, f.logs)
    if config_line and pod.waiting in ("CrashLoopBackOff", "Error"):
        return "CrashLoopBackOff", f"configuration error at startup: {config_line}"
    readiness = next((m for m in probes if m.lower().startswith("readiness")), None)
    if not pod.ready and pod.waiting is None and pod.phase == "Running":
        return (
            "Pods not Ready",
            f"the readiness probe fails ({readiness or 'no probe event'}){'; ' + error if error else ''}",
        )
    code = f" (exit code {pod.exit_code})" if pod.exit_code is not None else ""
    return pod.waiting or pod.phase, f"the new pods fail at start{code}: {error or 'no error line in the logs'}"
