"""The offline diagnosis: find the incident's workload, read its pods, events, metrics, logs,
rollout history and Service endpoints; then let the analyzers (:mod:`analyzers`) report evidence
and the combiner (:mod:`combine`) decide. An action is only recommended when the evidence points
at one cause; anything else is escalated with what was seen.
"""

from __future__ import annotations

import re
import time
from typing import Any

from chalicelib.agents.providers.builtin.analyzers import analyze
from chalicelib.agents.providers.builtin.combine import combine
from chalicelib.agents.providers.builtin.diagnosis import (
    Diagnosis,
    kubectl_command,
    no_tools_diagnosis,
    undetermined,
)
from chalicelib.agents.providers.builtin.evidence import situation
from chalicelib.agents.providers.builtin.facts import (
    Findings,
    PodFacts,
    belongs,
    memory_bytes,
    pod_facts,
    rs_revision,
    selector_of,
)
from chalicelib.agents.providers.builtin.kube import KubeChannel, as_json, items
from chalicelib.agents.providers.builtin.transcript import Transcript

__all__ = ["Diagnosis", "diagnose", "gather", "kubectl_command", "no_tools_diagnosis", "undetermined"]

TARGET_RE = re.compile(r"\b(deployment|deploy|statefulset|sts)/([a-z0-9][a-z0-9.-]*)", re.I)
# Whole words on one line: not the "-n" of "multi-node" nor the "namespace" of "cross-namespace".
NAMESPACE_RE = re.compile(r"(?<![\w-])(?:-n|--namespace[= ]|namespace[:= ]+)[ \t]*([a-z0-9][a-z0-9-]*)", re.I)
_KIND = {"deploy": "deployment", "deployment": "deployment", "sts": "statefulset", "statefulset": "statefulset"}
#: Never where an application incident is looked for when the prompt names no namespace.
SYSTEM_NAMESPACES = frozenset({"kube-system", "kube-public", "kube-node-lease"})
_WORD_RE = re.compile(r"[a-z0-9]+")


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
    # The structured Kubernetes tool reads no Endpoints; through kubectl they say which Service is empty.
    endpoints_at = len(calls) if kube.mode == "shell" else None
    if endpoints_at is not None:
        calls.append(kube.get("endpoints", namespace))
        # The Services' selectors: an empty Service whose selector misses the pods says why.
        calls.append(kube.get("services", namespace))
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
        namespace=namespace,
        target=target,
        workload=workload,
        pods=pods,
        events=events,
        metrics=metrics,
        endpoints=items(answers[endpoints_at]) if endpoints_at is not None else [],
        services=items(answers[endpoints_at + 1]) if endpoints_at is not None else [],
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
    """Every analyzer reads its signals; the combiner names a cause only when they point at one."""
    return combine(analyze(situation(f, now=time.time())))
