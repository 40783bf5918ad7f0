"""Container logs (``kubectl logs``, ``--previous``, ``--tail``) from the pod's profile."""

from __future__ import annotations

from sandbox.apimachinery.errors import bad_request, not_found
from sandbox.apimachinery.registry import get_resource
from sandbox.resources.context import ClusterContext
from sandbox.resources.events import render
from sandbox.resources.kubelet import pod_vars


def pod_log(
    ctx: ClusterContext, namespace: str, name: str, container: str | None, previous: bool, tail_lines: int | None
) -> str:
    with ctx.store.lock:
        pod = ctx.store.get("pods", namespace, name)
        if pod is None:
            raise not_found(get_resource("", "v1", "pods"), name)
        names = [c["name"] for c in pod["spec"].get("containers") or []]
        if container and container not in names:
            raise bad_request(f"container {container} is not valid for pod {name}")
        if not container and len(names) > 1:
            raise bad_request(f"a container name must be specified for pod {name}, choose one of: [{' '.join(names)}]")
        cname = container or names[0]
        sim = ctx.podsim.get(pod["metadata"]["uid"])
        prof = sim.profile if sim else {}
        cstat = next((c for c in (pod.get("status") or {}).get("containerStatuses") or [] if c["name"] == cname), None)
        waiting = (cstat or {}).get("state", {}).get("waiting")
        if cstat is None or (waiting is not None and waiting.get("reason") != "CrashLoopBackOff"):
            reason = (cstat or {}).get("state", {}).get("waiting", {}).get("reason", "ContainerCreating")
            if reason in ("ImagePullBackOff", "ErrImagePull"):
                msg = "trying and failing to pull image"
            elif cstat is None:
                msg = "ContainerCreating"
            else:
                msg = reason
            if previous:
                raise bad_request(f'previous terminated container "{cname}" in pod "{name}" not found')
            raise bad_request(f'container "{cname}" in pod "{name}" is waiting to start: {msg}')
        if previous:
            if not cstat.get("restartCount"):
                raise bad_request(f'previous terminated container "{cname}" in pod "{name}" not found')
            text = prof.get("previous_logs") or prof.get("logs") or ""
        else:
            text = prof.get("logs") or ""
        per_container = prof.get("container_logs") or {}
        if cname in per_container:
            text = per_container[cname]
        text = render(text, pod_vars(pod))
    if text and not text.endswith("\n"):
        text += "\n"
    if tail_lines is not None and tail_lines >= 0:
        lines = text.splitlines(keepends=True)
        text = "".join(lines[-tail_lines:]) if tail_lines else ""
    return text
