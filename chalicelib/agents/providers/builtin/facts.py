"""Facts the offline model reads from Kubernetes objects, events, logs and metrics."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

CONFIG_ERROR_RE = re.compile(
    r"(invalid (config|configuration|value|setting)|config(uration)? (error|invalid)|missing required|"
    r"unknown (key|field|option|setting)|failed to (parse|load) config|cannot parse|yaml:|"
    r"environment variable .* (not set|required)|must be set|"
    r"no such file or directory.*\.(ya?ml|json|conf|properties))",
    re.I,
)
DISK_FULL_RE = re.compile(r"no space left on device|disk (is )?full|ENOSPC", re.I)
OOM_LOG_RE = re.compile(r"OutOfMemoryError|out of memory|memory leak|oom-?kill", re.I)
#: Memory that grows over time, which is what tells a leak from a limit too small for the work:
#: an OutOfMemoryError alone says only that memory ran out.
LEAK_LOG_RE = re.compile(
    r"memory leak|leak(ing)? suspected|\b(heap|memory|old gen|rss)\b[^\n]{0,80}?\b(grow(s|ing)?|increas(es|ing)|climb(s|ing)?)\b",
    re.I,
)
WEDGED_RE = re.compile(
    r"(lock(ed| file)?|stale|wedged|stuck|deadlock|could not (acquire|obtain)|already running|"
    r"recovery (is )?(in progress|stuck)|pid file|postmaster\.pid|timed out waiting)",
    re.I,
)
ERROR_LINE_RE = re.compile(r"\b(ERROR|FATAL|PANIC|Exception|panic:|Error:)", re.I)
#: The registry refused the credentials (a rollback pulls from the same registry: no help).
#: What the kubelet says when a container's Secret or ConfigMap (or one of its keys) is not there:
#: ``secret "x" not found``, ``couldn't find key k in Secret ns/x``, and the FailedMount of a volume.
MISSING_REF_RE = re.compile(
    r"\b(?P<kind>secret|configmap)s? \"(?P<name>[^\"]+)\" not found|"
    r"couldn't find key (?P<key>\S+) in (?P<kind2>Secret|ConfigMap) (?:[^/\s]+/)?(?P<name2>[^\s,]+)",
    re.I,
)
PULL_AUTH_RE = re.compile(
    r"\b401\b|unauthori[sz]ed|failed to authorize|authentication required|no basic auth credentials|"
    r"pull access denied|\b403\b|forbidden",
    re.I,
)
#: Error lines that point at a dependency outside the pod, by kind of failure.
CAUSE_HINTS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "DNS resolution failing",
        re.compile(
            r"lookup \S+.*(no such host|i/o timeout|server misbehaving)|"
            r"name resolution|resolving error|NXDOMAIN|getaddrinfo",
            re.I,
        ),
    ),
    ("TLS certificate problem (x509)", re.compile(r"x509|certificate (has )?expired|certificate verify failed", re.I)),
)
UPSTREAM_RE = re.compile(
    r"upstream|service unavailable|\b50[234]\b|deadline exceeded|timed? ?out|connection (refused|reset)|"
    r"circuit breaker|unreachable",
    re.I,
)
PROBE_RE = re.compile(r"^(Liveness|Readiness|Startup) probe failed", re.I)


@dataclass
class PodFacts:
    name: str
    phase: str
    ready: bool
    restarts: int
    waiting: str | None
    waiting_message: str | None
    last_terminated: str | None
    unschedulable: str | None
    labels: dict[str, str]
    owner_kind: str | None
    owner_name: str | None
    limits_memory: str | None
    namespace: str = ""
    exit_code: int | None = None
    template_hash: str | None = None

    @property
    def healthy(self) -> bool:
        return self.ready and self.phase == "Running" and self.waiting is None

    @property
    def trouble(self) -> int:
        """How bad this pod looks, for choosing whose logs to read (and, with no namespace, where to look)."""
        score = self.restarts
        if self.waiting:
            score += 100
        if not self.ready:
            score += 50
        if self.last_terminated:
            score += 10
        return score


@dataclass
class Findings:
    namespace: str
    target: str | None
    workload: dict[str, Any] | None
    pods: list[PodFacts]
    events: list[dict[str, Any]]
    logs: str = ""
    metrics: dict[str, str] = field(default_factory=dict)
    revision: int = 0
    previous_revision_exists: bool = False
    #: The Deployment's ReplicaSets (its rollout history), newest revision first.
    replicasets: list[dict[str, Any]] = field(default_factory=list)
    #: The namespace's Endpoints (which Service still has a ready pod behind it).
    endpoints: list[dict[str, Any]] = field(default_factory=list)
    #: The namespace's Services (their selectors).
    services: list[dict[str, Any]] = field(default_factory=list)
    #: How the incident's workload was found when the prompt did not name it (said in the answer).
    located: str = ""


def pod_facts(pod: dict[str, Any]) -> PodFacts:
    meta, spec, status = pod.get("metadata") or {}, pod.get("spec") or {}, pod.get("status") or {}
    statuses = status.get("containerStatuses") or []
    waiting = waiting_message = last = None
    exit_code: int | None = None
    restarts = 0
    ready = bool(statuses) and all(c.get("ready") for c in statuses)
    for c in statuses:
        restarts += int(c.get("restartCount") or 0)
        w = (c.get("state") or {}).get("waiting")
        if w and w.get("reason"):
            waiting, waiting_message = w["reason"], w.get("message")
        term = (c.get("lastState") or {}).get("terminated") or (c.get("state") or {}).get("terminated")
        if term and term.get("reason"):
            last = term["reason"]
            if term.get("exitCode") is not None:
                exit_code = int(term["exitCode"])
    unschedulable = None
    for cond in status.get("conditions") or []:
        if cond.get("type") == "PodScheduled" and cond.get("status") == "False":
            unschedulable = cond.get("message") or cond.get("reason") or "unschedulable"
    owners = meta.get("ownerReferences") or []
    owner_kind = owners[0].get("kind") if owners else None
    owner_name = owners[0].get("name") if owners else None
    if owner_kind == "ReplicaSet" and owner_name and "-" in owner_name:
        owner_kind, owner_name = "Deployment", owner_name.rsplit("-", 1)[0]
    containers = spec.get("containers") or []
    limit = ((containers[0].get("resources") or {}).get("limits") or {}).get("memory") if containers else None
    return PodFacts(
        name=str(meta.get("name", "")),
        phase=str(status.get("phase", "Unknown")),
        ready=ready,
        restarts=restarts,
        waiting=waiting,
        waiting_message=waiting_message,
        last_terminated=last,
        unschedulable=unschedulable,
        labels=dict(meta.get("labels") or {}),
        owner_kind=owner_kind,
        owner_name=owner_name,
        limits_memory=limit,
        namespace=str(meta.get("namespace") or ""),
        exit_code=exit_code,
        template_hash=(meta.get("labels") or {}).get("pod-template-hash"),
    )


def selector_of(workload: dict[str, Any]) -> dict[str, str]:
    return dict(((workload.get("spec") or {}).get("selector") or {}).get("matchLabels") or {})


def belongs(pod: PodFacts, target: str | None, workload: dict[str, Any] | None) -> bool:
    if workload is not None:
        sel = selector_of(workload)
        if sel:
            return all(pod.labels.get(k) == v for k, v in sel.items())
    if target:
        name = target.partition("/")[2]
        return (pod.owner_name == name) or pod.name.startswith(f"{name}-")
    return True


def memory_bytes(text: str | None) -> float | None:
    if not text:
        return None
    match = re.fullmatch(r"(\d+(?:\.\d+)?)([KMGT]i?|[kmgt]|)", text.strip())
    if not match:
        return None
    units = {
        "": 1,
        "K": 1e3,
        "M": 1e6,
        "G": 1e9,
        "T": 1e12,
        "k": 1e3,
        "m": 1e-3,
        "Ki": 1024,
        "Mi": 1024**2,
        "Gi": 1024**3,
        "Ti": 1024**4,
    }
    return float(match.group(1)) * units.get(match.group(2), 1)


def event_lines(events: list[dict[str, Any]], names: set[str]) -> list[dict[str, Any]]:
    """Warning events about the given objects (or all warnings when ``names`` is empty)."""
    out = []
    for ev in events:
        obj = (ev.get("involvedObject") or {}).get("name", "")
        if ev.get("type") != "Warning":
            continue
        if names and obj not in names:
            continue
        out.append(ev)
    return out


def first_match(pattern: re.Pattern[str], text: str) -> str | None:
    for line in text.splitlines():
        if pattern.search(line):
            return line.strip()
    return None


def cause_hint(text: str) -> tuple[str, str] | None:
    """(kind of failure, the line showing it) for an error that names its own cause."""
    for label, pattern in CAUSE_HINTS:
        line = first_match(pattern, text)
        if line:
            return label, line
    return None


def rs_revision(rs: dict[str, Any]) -> int:
    annotations = (rs.get("metadata") or {}).get("annotations") or {}
    try:
        return int(annotations.get("deployment.kubernetes.io/revision", 0) or 0)
    except ValueError:
        return 0


def first_container(rs: dict[str, Any]) -> dict[str, Any]:
    containers = (((rs.get("spec") or {}).get("template") or {}).get("spec") or {}).get("containers") or [{}]
    return dict(containers[0])
