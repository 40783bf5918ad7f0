"""The offline diagnosis: read the incident's workload, pods, events, metrics and logs; decide.

Rules cover the common failure modes; anything else is reported as unknown with low confidence
and no action. An action is only recommended when tool output justifies it.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any

from chalicelib.agents.providers.builtin.facts import (
    CONFIG_ERROR_RE,
    DISK_FULL_RE,
    ERROR_LINE_RE,
    OOM_LOG_RE,
    PULL_AUTH_RE,
    UPSTREAM_RE,
    WEDGED_RE,
    Findings,
    PodFacts,
    belongs,
    cause_hint,
    event_lines,
    first_match,
    memory_bytes,
    pod_facts,
    rs_revision,
    selector_of,
)
from chalicelib.agents.providers.builtin.kube import KubeChannel, as_json, items
from chalicelib.agents.providers.builtin.rollout import lowered_memory_limit, regression
from chalicelib.agents.providers.builtin.transcript import Transcript

TARGET_RE = re.compile(r"\b(deployment|deploy|statefulset|sts)/([a-z0-9][a-z0-9.-]*)", re.I)
# Whole words on one line: not the "-n" of "multi-node" nor the "namespace" of "cross-namespace".
NAMESPACE_RE = re.compile(r"(?<![\w-])(?:-n|--namespace[= ]|namespace[:= ]+)[ \t]*([a-z0-9][a-z0-9-]*)", re.I)
_KIND = {"deploy": "deployment", "deployment": "deployment", "sts": "statefulset", "statefulset": "statefulset"}
#: Never where an application incident is looked for when the prompt names no namespace.
SYSTEM_NAMESPACES = frozenset({"kube-system", "kube-public", "kube-node-lease"})
_WORD_RE = re.compile(r"[a-z0-9]+")


@dataclass
class Diagnosis:
    severity: str
    root_cause: str
    affected: list[str]
    impact: str
    action: dict[str, Any] | None
    recommended_action: str
    requires_approval: bool
    confidence: float

    def as_output(self) -> dict[str, Any]:
        return {
            "severity": self.severity,
            "root_cause": self.root_cause,
            "affected_components": self.affected,
            "impact": self.impact,
            "recommended_action": self.recommended_action,
            "requires_approval": self.requires_approval,
            "confidence": round(self.confidence, 2),
            "action": self.action,
        }


def named_scope(t: Transcript) -> tuple[str | None, str | None]:
    """(namespace or None, "kind/name" or None) as the prompt names them."""
    resource = t.field("Resource") or ""
    match = TARGET_RE.search(resource) or TARGET_RE.search(t.prompt)
    target = f"{_KIND[match.group(1).lower()]}/{match.group(2)}" if match else None
    namespace = t.field("Namespace")
    if not namespace:
        ns_match = NAMESPACE_RE.search(t.prompt)
        namespace = ns_match.group(1) if ns_match else None
    return (namespace.split()[0] if namespace else None), target


def incident_scope(t: Transcript) -> tuple[str, str | None]:
    """(namespace, "kind/name" or None) named by the prompt; namespace "default" when it names none."""
    namespace, target = named_scope(t)
    return namespace or "default", target


def locate(t: Transcript, kube: KubeChannel, target: str | None) -> tuple[str, str | None] | None:
    """Where the incident is when the prompt names no namespace: (namespace, target), or None.

    What an SRE does first: list the pods of every namespace but the system ones and go where
    the worst one is (``PodFacts.trouble``; the incident's own words break ties). With a target
    named, its own pods say where it runs. The target becomes the worst pod's workload, so the
    diagnosis reads that workload (revision, selector) as if the prompt had named it.
    """
    listing = t.gather([kube.get("pods", None, all_namespaces=True)])[0]
    pods = [p for p in map(pod_facts, items(listing)) if p.namespace and p.namespace not in SYSTEM_NAMESPACES]
    if target:
        kind, _, name = target.partition("/")
        pods = [p for p in pods if p.owner_name == name and (p.owner_kind or "").lower() == kind]
    else:
        pods = [p for p in pods if p.trouble > 0]
    if not pods:
        return None
    words = set(_WORD_RE.findall(f"{t.field('Incident') or ''} {t.field('Service') or ''}".lower()))
    worst = max(pods, key=lambda p: (p.trouble, _mentioned(p, words)))
    if target is None and worst.owner_name and worst.owner_kind in ("Deployment", "StatefulSet"):
        target = f"{worst.owner_kind.lower()}/{worst.owner_name}"
    return worst.namespace, target


def _mentioned(pod: PodFacts, words: set[str]) -> int:
    """How much the incident's words name this pod's workload and namespace (a tie-breaker)."""
    named = [pod.owner_name or "", pod.namespace]
    return sum(1 for n in named if n and set(_WORD_RE.findall(n.lower())) <= words)


def kubectl_command(verb: str, target: str, namespace: str, extra: str = "") -> str:
    return f"kubectl {verb} {target}{extra} -n {namespace}"


def gather(t: Transcript, kube: KubeChannel) -> Findings:
    named_namespace, target = named_scope(t)
    namespace = named_namespace or "default"
    located = ""
    # "default" with no resource is what the tutorial's Transform writes when the event carried
    # no namespace (a real PagerDuty v3 event has no custom_details): as good as naming none.
    if named_namespace is None or (named_namespace == "default" and target is None):
        # Go where the trouble is; "default" as before when nothing is troubled (or -A is refused).
        found = locate(t, kube, target)
        if found is not None and found != (namespace, target):
            namespace, target = found
            located = (
                f"the incident named no {'namespace' if named_namespace is None else 'resource'}; "
                "found by listing the pods of every namespace the agent may read and taking the most "
                f"troubled workload, {target or '?'} in {namespace}"
            )
    workload: Any = None
    if target:
        # The workload first: its selector narrows the pod listing (whole namespaces are large).
        workload = as_json(t.gather([kube.get(target.split("/")[0] + "s", namespace, target.split("/")[1])])[0])
        if not isinstance(workload, dict):
            workload = None
    selector = ",".join(f"{k}={v}" for k, v in sorted(selector_of(workload).items())) if workload else None
    calls = [kube.get("pods", namespace, selector=selector), kube.events(namespace), kube.top(namespace)]
    if target and target.startswith("deployment/"):
        calls.append(kube.get("replicasets", namespace, selector=selector))
    answers = t.gather(calls)
    offset = 0
    all_pods = [pod_facts(p) for p in items(answers[offset])]
    events = items(answers[offset + 1])
    metrics: dict[str, str] = {}
    top = as_json(answers[offset + 2])
    if isinstance(top, dict):
        for entry in top.get("items") or []:
            usage = sum(memory_bytes((c.get("usage") or {}).get("memory")) or 0 for c in entry.get("containers") or [])
            metrics[(entry.get("metadata") or {}).get("name", "")] = f"{usage / 1024**2:.0f}Mi"
    elif answers[offset + 2].ok:
        for line in answers[offset + 2].text.splitlines()[1:]:  # kubectl top's table
            cols = line.split()
            if len(cols) >= 3:
                metrics[cols[0]] = cols[2]
    if target is None:
        troubled = sorted(all_pods, key=lambda p: -p.trouble)
        if troubled and troubled[0].trouble > 0 and troubled[0].owner_name:
            target = f"{(troubled[0].owner_kind or 'Deployment').lower()}/{troubled[0].owner_name}"
    pods = [p for p in all_pods if belongs(p, target, workload)]
    findings = Findings(
        namespace=namespace, target=target, workload=workload, pods=pods, events=events, metrics=metrics
    )
    if workload:
        annotations = (workload.get("metadata") or {}).get("annotations") or {}
        findings.revision = int(annotations.get("deployment.kubernetes.io/revision", 0) or 0)
        if target and target.startswith("deployment/"):
            owned = [rs for rs in items(answers[-1]) if _owned_by(rs, target.split("/")[1])]
            findings.previous_revision_exists = len(owned) > 1
            findings.replicasets = sorted(owned, key=rs_revision, reverse=True)
        if target and target.startswith("statefulset/"):
            status = workload.get("status") or {}
            findings.previous_revision_exists = status.get("currentRevision") != status.get("updateRevision")
    worst = sorted((p for p in pods if p.trouble > 0 and not p.unschedulable), key=lambda p: -p.trouble)
    if worst:
        pod = worst[0]
        log_calls = [kube.logs(pod.name, namespace)]
        if pod.restarts > 0 or pod.last_terminated:
            log_calls.append(kube.logs(pod.name, namespace, previous=True))
        findings.logs = "\n".join(a.text for a in t.gather(log_calls) if a.ok)
    elif pods:
        # Healthy pods can still fail their users (a dependency down): their own log says so.
        findings.logs = "\n".join(a.text for a in t.gather([kube.logs(pods[0].name, namespace)]) if a.ok)
    findings.located = located
    return findings


def _owned_by(rs: dict[str, Any], name: str) -> bool:
    owners = (rs.get("metadata") or {}).get("ownerReferences") or []
    return any(o.get("kind") == "Deployment" and o.get("name") == name for o in owners)


def diagnose(f: Findings) -> Diagnosis:
    target = f.target or "the workload"
    ns = f.namespace
    pods = f.pods
    names = [p.name for p in pods]
    workload_name = target.split("/")[-1]
    affected = [*names, workload_name] if names else [workload_name]
    warnings = event_lines(f.events, {*names, workload_name})
    warning_text = "\n".join(f"{e.get('reason')}: {e.get('message')}" for e in warnings)
    unhealthy = [p for p in pods if not p.healthy]
    ready = [p for p in pods if p.ready]
    all_down = bool(pods) and not ready
    evidence_text = f"{f.logs}\n{warning_text}"

    if f.target and f.workload is None and not pods:
        return _unknown(f, affected, f"{target} was not found in namespace {ns}; nothing to diagnose", 0.2)

    pending = [
        p
        for p in pods
        if p.unschedulable
        or any(
            e.get("reason") == "FailedScheduling"
            for e in warnings
            if (e.get("involvedObject") or {}).get("name") == p.name
        )
    ]
    if pending:
        why = pending[0].unschedulable or next(
            (str(e.get("message")) for e in warnings if e.get("reason") == "FailedScheduling"), "no node fits"
        )
        return Diagnosis(
            # capacity trouble while some replicas still serve degrades the service but does not stop it
            severity="critical" if all_down else "medium",
            root_cause=f"{len(pending)} pod(s) of {target} are Pending and unschedulable (FailedScheduling): {why}",
            affected=affected,
            impact=f"{len(ready)}/{len(pods)} replicas serving; new pods cannot be scheduled",
            action=None,
            recommended_action="No safe automatic action: scheduling needs cluster capacity or a change of "
            "resource requests/affinity; escalate to the on-call engineer",
            requires_approval=True,
            confidence=0.8,
        )

    disk = first_match(DISK_FULL_RE, evidence_text)
    if disk:
        return Diagnosis(
            severity="critical" if all_down else "high",
            root_cause=f"Disk full on {target}: the data volume is full, No space left on device ({disk[:160]})",
            affected=affected,
            impact=f"{len(ready)}/{len(pods)} replicas serving; writes are failing",
            action=None,
            recommended_action="No safe automatic action: the volume is full (No space left on device); a "
            "restart will not free space. Escalate to expand the volume or clean up data",
            requires_approval=True,
            confidence=0.85,
        )

    image = [p for p in pods if p.waiting in ("ImagePullBackOff", "ErrImagePull")]
    if image:
        detail = image[0].waiting_message or next(
            (str(e.get("message")) for e in warnings if e.get("reason") in ("Failed", "ErrImagePull")), ""
        )
        refused = first_match(PULL_AUTH_RE, f"{detail}\n{warning_text}")
        if refused:
            # Every tag lives in the same registry: rolling back pulls with the same credentials.
            return Diagnosis(
                severity="critical" if all_down else "high",
                root_cause=f"ImagePullBackOff on {target}: the registry refused the pull credentials "
                f"(authentication failed: {refused[:220]}); the image pull secret or registry access must be "
                "renewed",
                affected=affected,
                impact=f"{len(ready)}/{len(pods)} replicas serving; no new pod can start",
                action=None,
                recommended_action="No safe automatic action: registry credentials are refused for every tag, so "
                "a rollback or restart pulls with the same credentials. Escalate to renew the image pull secret",
                requires_approval=True,
                confidence=0.8,
            )
        if f.previous_revision_exists and target.startswith("deployment/"):
            return Diagnosis(
                severity="high",
                root_cause=f"ImagePullBackOff after a new deploy of {target} (revision {f.revision}): the new "
                f"image{_tag(detail)} cannot be pulled (bad image tag or missing image). {detail[:200]}".strip(),
                affected=affected,
                impact=f"{len(ready)}/{len(pods)} replicas serving; the rollout is stuck",
                action={"verb": "rollout undo", "target": target, "namespace": ns},
                recommended_action=kubectl_command("rollout undo", target, ns),
                requires_approval=all_down,
                confidence=0.85,
            )
        return _unknown(
            f, affected, f"ImagePullBackOff on {target} with no previous revision to roll back to", 0.4, severity="high"
        )

    crash = [
        p
        for p in pods
        if p.waiting in ("CrashLoopBackOff", "CreateContainerConfigError", "Error")
        or (p.last_terminated == "Error" and not p.ready)
    ]
    oom = [p for p in pods if p.last_terminated == "OOMKilled"] or (
        [p for p in pods if p.restarts > 0] if first_match(OOM_LOG_RE, f.logs) else []
    )
    config_line = first_match(CONFIG_ERROR_RE, evidence_text)

    lowered = lowered_memory_limit(f) if oom else None
    if lowered:
        before, after = lowered
        usage = ", ".join(f"{p.name}={f.metrics[p.name]}" for p in pods if p.name in f.metrics)
        return Diagnosis(
            severity="critical" if all_down else "high",
            root_cause=f"{target} is OOMKilled at its memory limit: revision {f.revision} lowered the memory "
            f"limit from {before} to {after}, below what the service uses{(' (' + usage + ')') if usage else ''}",
            affected=affected,
            impact=f"{len(ready)}/{len(pods)} replicas ready; requests fail while pods restart",
            action={"verb": "rollout undo", "target": target, "namespace": ns},
            recommended_action=kubectl_command("rollout undo", target, ns)
            + f" (restores the {before} memory limit of the previous revision)",
            requires_approval=all_down,
            confidence=0.8,
        )

    regressed = regression(f, warnings, now=time.time()) if target.startswith("deployment/") else None
    if regressed and not (oom and first_match(OOM_LOG_RE, f.logs)):
        symptom, detail = regressed
        return Diagnosis(
            severity="critical" if all_down else "high",
            root_cause=f"{symptom} after a new deploy of {target} (revision {f.revision}"
            f"{_cause(f)}): {detail[:240]}. The previous revision ran without it",
            affected=affected,
            impact=f"{len(ready)}/{len(pods)} replicas serving; the new revision's pods do not come up",
            action={"verb": "rollout undo", "target": target, "namespace": ns},
            recommended_action=kubectl_command("rollout undo", target, ns),
            requires_approval=all_down,
            confidence=0.8,
        )

    if target.startswith("statefulset/") and all_down and (crash or unhealthy):
        wedged = first_match(WEDGED_RE, evidence_text)
        if wedged and not oom:
            return Diagnosis(
                severity="critical",
                root_cause=f"All replicas of {target} are failing ({_states(pods)}): the database is wedged in a "
                f"stale state ({wedged[:200]}); a restart clears it",
                affected=affected,
                impact=f"0/{len(pods)} replicas ready: the service is down for every user",
                action={"verb": "rollout restart", "target": target, "namespace": ns},
                recommended_action=kubectl_command("rollout restart", target, ns),
                requires_approval=True,
                confidence=0.7,
            )

    if crash and config_line and not oom and (f.previous_revision_exists or f.revision > 1):
        return Diagnosis(
            severity="critical" if all_down else "high",
            root_cause=f"CrashLoopBackOff after a new revision of {target} (revision {f.revision}): "
            f"configuration error at startup: {config_line[:200]}",
            affected=affected,
            impact=f"{len(ready)}/{len(pods)} replicas serving; new pods crash on start",
            action={"verb": "rollout undo", "target": target, "namespace": ns},
            recommended_action=kubectl_command("rollout undo", target, ns),
            requires_approval=all_down,
            confidence=0.85,
        )

    if oom:
        leak = first_match(OOM_LOG_RE, f.logs)
        usage = ", ".join(f"{p.name}={f.metrics[p.name]}" for p in pods if p.name in f.metrics)
        limit = next((p.limits_memory for p in pods if p.limits_memory), None)
        kind_word = "statefulset" if target.startswith("statefulset/") else "deployment"
        return Diagnosis(
            severity="critical" if all_down else "high",
            root_cause=f"High memory usage on {target}: containers are OOMKilled at the {limit or 'memory'} limit "
            f"and restart; memory grows until the limit (memory leak suspected). "
            f"{('Usage: ' + usage + '. ') if usage else ''}{('Log: ' + leak[:160]) if leak else ''}".strip(),
            affected=affected,
            impact=f"{len(ready)}/{len(pods)} replicas ready; requests fail while pods restart",
            action={"verb": "rollout restart", "target": target, "namespace": ns},
            recommended_action=kubectl_command("rollout restart", target, ns)
            + f" (fresh pods reset the leaking {kind_word}'s memory; fix the leak afterwards)",
            requires_approval=all_down,
            confidence=0.85 if leak else 0.7,
        )

    hint = cause_hint(evidence_text)
    if crash:
        line = (
            config_line or (hint[1] if hint else None) or first_match(ERROR_LINE_RE, f.logs) or "no error in the logs"
        )
        label = f"{hint[0]}: " if hint and not config_line else ""
        return _unknown(
            f,
            affected,
            f"{label}{target} is in CrashLoopBackOff ({line[:200]}) without a new revision to roll back; "
            "nothing in the namespace can be changed safely to fix it",
            0.35,
            severity="critical" if all_down else "high",
        )

    upstream = [ln.strip() for ln in f.logs.splitlines() if ERROR_LINE_RE.search(ln) and UPSTREAM_RE.search(ln)]
    if not unhealthy and pods and len(upstream) >= 2:
        return Diagnosis(
            severity="high",
            root_cause=f"Upstream dependency failing: all {len(pods)} pods of {target} are healthy (Running, Ready, "
            f"no restarts) but their requests to an external dependency fail: {upstream[0][:220]}",
            affected=affected,
            impact="Requests that need the dependency fail; nothing in the cluster is broken",
            action=None,
            recommended_action="No safe automatic action: the service itself is healthy and a restart would not "
            "bring the dependency back. Escalate to the owner of the upstream service",
            requires_approval=True,
            confidence=0.7,
        )

    if not unhealthy and pods:
        return Diagnosis(
            severity="low",
            root_cause=f"False alarm: all {len(pods)} pods of {target} are healthy (Running and Ready, no "
            f"crash-looping, no warning events); the alert was likely a transient spike",
            affected=affected,
            impact="No user-facing impact observed",
            action=None,
            recommended_action="No action needed: monitor the alert and tune its threshold if it recurs",
            requires_approval=False,
            confidence=0.8 if not warnings else 0.6,
        )
    found = f" ({hint[0]}: {hint[1][:200]})" if hint else ""
    return _unknown(
        f,
        affected,
        f"{len(unhealthy)} unhealthy pod(s) of {target}{found}; no change in the cluster explains it",
        0.3,
        severity="critical" if all_down else "medium",
    )


def _unknown(f: Findings, affected: list[str], why: str, confidence: float, severity: str = "medium") -> Diagnosis:
    return Diagnosis(
        severity=severity,
        root_cause=f"Undetermined: {why}",
        affected=affected,
        impact="Unknown; a human should look",
        action=None,
        recommended_action="No safe automatic action can be justified from the cluster state; escalate to "
        "the on-call engineer",
        requires_approval=True,
        confidence=confidence,
    )


def no_tools_diagnosis() -> Diagnosis:
    return Diagnosis(
        severity="medium",
        root_cause="Undetermined: the offline model has no Kubernetes tool (kubectl via Shell, or Kubernetes) "
        "to inspect the cluster",
        affected=[],
        impact="Unknown",
        action=None,
        recommended_action="No action: escalate to the on-call engineer",
        requires_approval=True,
        confidence=0.1,
    )


def _cause(f: Findings) -> str:
    """The change-cause of the current revision, as ``kubectl rollout history`` shows it."""
    for rs in f.replicasets:
        if rs_revision(rs) == f.revision:
            cause = ((rs.get("metadata") or {}).get("annotations") or {}).get("kubernetes.io/change-cause")
            return f", {cause!r}" if cause else ""
    return ""


def _tag(detail: str) -> str:
    match = re.search(r'image "?([^"\s]+:[^"\s]+)"?', detail)
    return f" tag {match.group(1).rsplit(':', 1)[1]} ({match.group(1)})" if match else ""


def _states(pods: list[PodFacts]) -> str:
    counts: dict[str, int] = {}
    for p in pods:
        state = p.waiting or ("Running" if p.ready else p.phase)
        counts[state] = counts.get(state, 0) + 1
    return ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
