"""One analyzer per family of signals, as k8sgpt's analyzers are: each reads what ``kubectl``
showed and returns evidence, never a decision.

Cause names the evidence points at (what :mod:`combine` weighs):

- ``image-pull``, ``registry-auth``: a pull fails; the registry refused the credentials
- ``crash-loop``, ``config-error``: containers exit at start; a line that says the config is wrong
- ``missing-reference``: a Secret or ConfigMap (or a key of one) the pod reads is not there
- ``oom-killed``, ``out-of-memory``, ``memory-at-limit``, ``limit-lowered``: memory ran out, or was
  made smaller; ``memory-leak``: the logs show memory growing over time (a leak, not a small limit)
- ``unschedulable``: no node fits; ``unbound-claim``: a claim the pods need does not bind (and why)
- ``bad-revision``, ``previous-revision``: the current revision's pods fail; there is one to go back to
- ``pull-secret-dropped``: the current revision's template lost imagePullSecrets the previous one had
- ``placement-changed``: the current revision changed tolerations, nodeSelector or affinity, and only
  its pods are unschedulable for a taint or a selector
- ``probe-failing``: liveness or readiness probes fail; ``probe-changed``: the current revision changed
  a probe that now fails on its pods; ``requests-raised``: it raised resource requests and only its
  pods are unschedulable for lack of cpu or memory
- ``disk-full``, ``wedged-state``, ``dns``, ``tls``, ``upstream``, ``error-line``: what the logs say
- ``no-endpoints``, ``serving``: what the Service in front of the pods has
- ``selector-mismatch``: a Service with no endpoint at all whose selector shares labels with the
  pods but does not match them
- ``healthy``: every pod Running and Ready
"""

from __future__ import annotations

import re
from collections.abc import Callable

from chalicelib.agents.providers.builtin.evidence import Evidence, Situation
from chalicelib.agents.providers.builtin.facts import (
    CAUSE_HINTS,
    CONFIG_ERROR_RE,
    DISK_FULL_RE,
    ERROR_LINE_RE,
    LEAK_LOG_RE,
    MISSING_REF_RE,
    OOM_LOG_RE,
    PROBE_RE,
    PULL_AUTH_RE,
    UPSTREAM_RE,
    WEDGED_RE,
    first_match,
    memory_bytes,
)
from chalicelib.agents.providers.builtin.rollout import (
    changed_probes,
    current_template_hash,
    dropped_pull_secrets,
    lowered_memory_limit,
    placement_changes,
    raised_requests,
    regression,
)

PULLING = ("ImagePullBackOff", "ErrImagePull")
#: Why a pod is unschedulable: where it may go (a taint, affinity, a selector), or what it asks for.
PLACEMENT_RE = re.compile(r"untolerated taint|node affinity|selector", re.I)
SHORT_OF_RE = re.compile(r"Insufficient (cpu|memory)", re.I)
CRASHING = ("CrashLoopBackOff", "CreateContainerConfigError", "Error")
#: Usage at or above this share of the memory limit is "at the limit".
AT_LIMIT = 0.9


def container_states(s: Situation) -> list[Evidence]:
    """Waiting reasons, last terminations and exit codes, as ``kubectl get pods`` shows them."""
    out: list[Evidence] = []
    for p in s.pods:
        code = f" (exit code {p.exit_code})" if p.exit_code is not None else ""
        if p.waiting in PULLING:
            message = p.waiting_message or ""
            out.append(Evidence("container-state", "image-pull", message, p.waiting or "", p.name))
            if PULL_AUTH_RE.search(message):
                out.append(Evidence("container-state", "registry-auth", message, p.waiting or "", p.name))
        if p.waiting in CRASHING or (p.last_terminated == "Error" and not p.ready):
            state = p.waiting or "Error"
            out.append(Evidence("container-state", "crash-loop", f"{p.name}: {state}{code}", state, p.name))
        missing = _missing_reference(p.waiting_message or "") if p.waiting == "CreateContainerConfigError" else None
        if missing:
            out.append(
                Evidence("container-state", "missing-reference", p.waiting_message or "", missing[0], p.name, missing)
            )
        if p.last_terminated == "OOMKilled":
            limit = p.limits_memory or "memory"
            out.append(
                Evidence(
                    "container-state",
                    "oom-killed",
                    f"{p.name}: OOMKilled at the {limit} limit{code}",
                    "OOMKilled",
                    p.name,
                )
            )
    if s.pods and not s.unhealthy:
        out.append(Evidence("container-state", "healthy", f"all {len(s.pods)} pods Running and Ready", "healthy"))
    return out


def _missing_reference(message: str) -> tuple[str, str] | None:
    """(``Secret`` or ``ConfigMap``, its name) when the kubelet says it is missing."""
    m = MISSING_REF_RE.search(message)
    if m is None:
        return None
    kind = (m.group("kind") or m.group("kind2") or "").lower()
    return ("Secret" if kind == "secret" else "ConfigMap"), str(m.group("name") or m.group("name2"))


def events(s: Situation) -> list[Evidence]:
    """Warning events about the workload and its pods (scheduling and probes have their own)."""
    out: list[Evidence] = []
    for e in s.warnings:
        reason, message = str(e.get("reason") or ""), str(e.get("message") or "")
        pod = str((e.get("involvedObject") or {}).get("name") or "")
        if reason in ("Failed", "ErrImagePull") and "image" in message.lower() and PULL_AUTH_RE.search(message):
            out.append(Evidence("events", "registry-auth", message, reason, pod))
        if DISK_FULL_RE.search(message):
            out.append(Evidence("events", "disk-full", message, reason, pod))
        missing = _missing_reference(message) if reason in ("Failed", "FailedMount") else None
        if missing:
            out.append(Evidence("events", "missing-reference", message, missing[0], pod, missing))
        if CONFIG_ERROR_RE.search(message) or reason == "CreateContainerConfigError":
            out.append(Evidence("events", "config-error", message, reason, pod))
        if WEDGED_RE.search(message) and not PROBE_RE.search(message):
            out.append(Evidence("events", "wedged-state", message, reason, pod))
    return out


def probes(s: Situation) -> list[Evidence]:
    """Liveness, readiness and startup probe failures."""
    out: list[Evidence] = []
    for e in s.warnings:
        message = str(e.get("message") or "")
        if PROBE_RE.search(message):
            kind = message.split()[0].lower()
            pod = str((e.get("involvedObject") or {}).get("name") or "")
            out.append(Evidence("probes", "probe-failing", message, kind, pod))
    return out


def usage(s: Situation) -> list[Evidence]:
    """Memory usage (``kubectl top``) against each pod's limit."""
    out: list[Evidence] = []
    for p in s.pods:
        used, limit = memory_bytes(s.findings.metrics.get(p.name)), memory_bytes(p.limits_memory)
        if used is None or not limit:
            continue
        if used / limit >= AT_LIMIT:
            figure = f"{p.name}={s.findings.metrics[p.name]} of {p.limits_memory}"
            out.append(Evidence("usage", "memory-at-limit", figure, "memory", p.name, (figure,)))
    return out


def scheduling(s: Situation) -> list[Evidence]:
    """Pods the scheduler cannot place: their PodScheduled condition or FailedScheduling events."""
    out: list[Evidence] = []
    for p in s.pods:
        failed = [
            str(e.get("message"))
            for e in s.warnings
            if e.get("reason") == "FailedScheduling" and (e.get("involvedObject") or {}).get("name") == p.name
        ]
        if p.unschedulable or failed:
            why = p.unschedulable or failed[0] or "no node fits"
            out.append(Evidence("scheduling", "unschedulable", why, "FailedScheduling", p.name))
    if any("unbound" in e.detail and "PersistentVolumeClaim" in e.detail for e in out):
        # Why the claims do not bind: what the volume controller said about them.
        for e in s.findings.events:
            involved = e.get("involvedObject") or {}
            if involved.get("kind") == "PersistentVolumeClaim" and e.get("reason") in (
                "ProvisioningFailed",
                "FailedBinding",
            ):
                claim = str(involved.get("name") or "")
                detail = f"PersistentVolumeClaim {claim}: {e.get('message')}"
                out.append(Evidence("scheduling", "unbound-claim", detail, str(e.get("reason")), values=(claim,)))
                break
    return out


def rollout_history(s: Situation) -> list[Evidence]:
    """The rollout history: did the current revision bring the failure, or lower a limit?"""
    f = s.findings
    out: list[Evidence] = []
    if f.previous_revision_exists:
        out.append(Evidence("rollout", "previous-revision", f"revision {f.revision} has a predecessor"))
    lowered = lowered_memory_limit(f)
    if lowered:
        before, after = lowered
        out.append(
            Evidence(
                "rollout",
                "limit-lowered",
                f"revision {f.revision} lowered the memory limit from {before} to {after}",
                "limits",
                values=(before, after),
            )
        )
    dropped = dropped_pull_secrets(f)
    if dropped:
        out.append(
            Evidence(
                "rollout",
                "pull-secret-dropped",
                f"revision {f.revision} dropped imagePullSecrets {', '.join(dropped)} that the previous revision had",
                "imagePullSecrets",
                values=tuple(dropped),
            )
        )
    current = current_template_hash(f)
    pending = [p for p in s.pods if p.unschedulable]

    def only_new_pods_pending(why: re.Pattern[str]) -> bool:
        """Every unschedulable pod runs the current template, for the reason ``why`` matches."""
        return bool(pending and current) and all(
            p.template_hash == current and why.search(p.unschedulable or "") for p in pending
        )

    changed = placement_changes(f)
    if changed and only_new_pods_pending(PLACEMENT_RE):
        out.append(
            Evidence(
                "rollout",
                "placement-changed",
                f"revision {f.revision} changed {', '.join(changed)}; only its pods are unschedulable",
                "placement",
                values=tuple(changed),
            )
        )
    raised = raised_requests(f)
    # Capacity did not shrink: the new template asks for more than the nodes that ran the old one have.
    if raised and only_new_pods_pending(SHORT_OF_RE):
        out.append(
            Evidence(
                "rollout",
                "requests-raised",
                f"revision {f.revision} raised the {', '.join(raised)}; only its pods are unschedulable",
                "requests",
                values=("resource requests",),
            )
        )
    probes = changed_probes(f)
    on_current = {p.name for p in s.pods if current and p.template_hash == current}
    failing = {
        str(e.get("message") or "").split()[0].lower() + "Probe"
        for e in s.warnings
        if PROBE_RE.search(str(e.get("message") or "")) and (e.get("involvedObject") or {}).get("name") in on_current
    }
    if set(probes) & failing:
        fields = sorted(set(probes) & failing)
        out.append(
            Evidence(
                "rollout",
                "probe-changed",
                f"revision {f.revision} changed the {', '.join(fields)}, and that probe fails on its pods",
                "probes",
                values=tuple(fields),
            )
        )
    if s.target.startswith("deployment/"):
        regressed = regression(f, s.warnings, now=s.now)
        if regressed:
            symptom, detail = regressed
            out.append(Evidence("rollout", "bad-revision", detail, symptom))
    return out


def log_lines(s: Situation) -> list[Evidence]:
    """Error lines in the logs of the worst pod (and of its previous container)."""
    logs = s.findings.logs
    out: list[Evidence] = []
    for cause, pattern in (
        ("disk-full", DISK_FULL_RE),
        ("out-of-memory", OOM_LOG_RE),
        ("memory-leak", LEAK_LOG_RE),
        ("config-error", CONFIG_ERROR_RE),
        ("wedged-state", WEDGED_RE),
    ):
        line = first_match(pattern, logs)
        if line:
            out.append(Evidence("logs", cause, line, "log"))
    for label, pattern in CAUSE_HINTS:
        line = first_match(pattern, logs)
        if line:
            out.append(Evidence("logs", "dns" if label.startswith("DNS") else "tls", line, label))
    # A call that fails on the far side: a 5xx or a timeout, or a name or certificate that does not check out.
    far_side = (UPSTREAM_RE, *(pattern for _, pattern in CAUSE_HINTS))
    failing_calls = [
        ln.strip() for ln in logs.splitlines() if ERROR_LINE_RE.search(ln) and any(p.search(ln) for p in far_side)
    ]
    if len(failing_calls) >= 2:  # one failed call is noise, a run of them is an outage
        out.append(Evidence("logs", "upstream", failing_calls[0], str(len(failing_calls))))
    error = first_match(ERROR_LINE_RE, logs)
    if error:
        out.append(Evidence("logs", "error-line", error, "log"))
    return out


def endpoints(s: Situation) -> list[Evidence]:
    """The Services in front of the pods: do they have a ready endpoint left?"""
    names = {p.name for p in s.pods}
    out: list[Evidence] = []
    for ep in s.findings.endpoints:
        ready: list[str] = []
        not_ready: list[str] = []
        for subset in ep.get("subsets") or []:
            for key, into in (("addresses", ready), ("notReadyAddresses", not_ready)):
                into += [str((a.get("targetRef") or {}).get("name") or "") for a in subset.get(key) or []]
        if not (set(ready) | set(not_ready)) & names:
            continue
        service = str((ep.get("metadata") or {}).get("name") or "?")
        if ready:
            out.append(Evidence("endpoints", "serving", f"Service {service} has {len(ready)} ready endpoint(s)"))
        else:
            out.append(
                Evidence(
                    "endpoints",
                    "no-endpoints",
                    f"Service {service} has no ready endpoint ({len(not_ready)} not ready)",
                    service,
                )
            )
    return out


def service_selectors(s: Situation) -> list[Evidence]:
    """A Service that selects no pod at all, while its selector shares a label with the workload's
    pods: the selector and the pod labels disagree (what ``kubectl describe svc`` and the pod
    labels show side by side)."""
    workload = s.findings.workload or {}
    labels = ((((workload.get("spec") or {}).get("template") or {}).get("metadata") or {}).get("labels")) or {}
    if not labels or not s.pods:
        return []
    empty = {
        str((ep.get("metadata") or {}).get("name"))
        for ep in s.findings.endpoints
        if not any(sub.get("addresses") or sub.get("notReadyAddresses") for sub in ep.get("subsets") or [])
    }
    out: list[Evidence] = []
    for svc in s.findings.services:
        name = str((svc.get("metadata") or {}).get("name") or "")
        selector = (svc.get("spec") or {}).get("selector") or {}
        if name not in empty or not selector:
            continue
        shared = {k for k, v in selector.items() if labels.get(k) == v}
        if not shared or all(labels.get(k) == v for k, v in selector.items()):
            continue
        want = ",".join(f"{k}={v}" for k, v in sorted(selector.items()))
        have = ",".join(f"{k}={v}" for k, v in sorted(labels.items()))
        detail = f"Service {name} has no endpoints: its selector {want} matches none of the pods (labels {have})"
        out.append(Evidence("endpoints", "selector-mismatch", detail, name, values=(name, want, have)))
    return out


ANALYZERS: tuple[Callable[[Situation], list[Evidence]], ...] = (
    container_states,
    events,
    probes,
    usage,
    scheduling,
    rollout_history,
    log_lines,
    endpoints,
    service_selectors,
)


def analyze(s: Situation) -> Situation:
    """Every analyzer's evidence, gathered on ``s``."""
    for analyzer in ANALYZERS:
        s.evidence.extend(analyzer(s))
    return s
