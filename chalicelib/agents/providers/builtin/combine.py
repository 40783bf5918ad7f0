"""The combiner: weighs the analyzers' evidence and names a cause only when it points at one.

First the causes no change in the namespace can fix (no node fits, a full disk, a refused pull):
seen, they are said and escalated. Then each cause a change fixes proposes its change (a rollback
for a revision that brought the failure or lowered a limit, a restart for a leak or a wedged
store). When two causes propose different changes the evidence does not point at one: the answer
says which and escalates rather than guessing. Symptoms alone (a crash loop with no cause, an
OOMKill with nothing to say whether memory leaks or the limit is too small) are escalated too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from chalicelib.agents.providers.builtin.diagnosis import Diagnosis, kubectl_command, undetermined
from chalicelib.agents.providers.builtin.evidence import Evidence, Situation
from chalicelib.agents.providers.builtin.facts import PodFacts, rs_revision


@dataclass
class Proposal:
    """A cause a change fixes, the signals that showed it, and its diagnosis."""

    cause: str
    signals: list[str]
    diagnosis: Diagnosis

    @property
    def verb(self) -> str:
        return str((self.diagnosis.action or {}).get("verb") or "")


def combine(s: Situation) -> Diagnosis:
    f, target = s.findings, s.target
    if f.target and f.workload is None and not s.pods:
        return undetermined(s.affected, f"{target} was not found in namespace {f.namespace}; nothing to diagnose", 0.2)
    blocked = _blocked(s)
    if blocked is not None:
        return blocked
    proposals = _proposals(s)
    verbs = {p.verb for p in proposals}
    if len(verbs) > 1:
        seen = "; ".join(f"{p.cause} (from {', '.join(p.signals)}: {p.verb})" for p in proposals)
        return undetermined(
            s.affected,
            f"the evidence on {target} points at more than one cause, each with another fix: {seen}",
            0.3,
            severity=_down(s, "high"),
        )
    if proposals:
        return proposals[0].diagnosis
    return _no_change(s)


def _down(s: Situation, otherwise: str) -> str:
    return "critical" if s.all_down else otherwise


def _serving(s: Situation) -> str:
    return f"{len(s.ready)}/{len(s.pods)} replicas"


def _blocked(s: Situation) -> Diagnosis | None:
    """Causes a change in the namespace cannot fix: capacity, a full disk, a pull that fails."""
    target, ns = s.target, s.findings.namespace
    pending = s.of("unschedulable")
    moved = s.first("placement-changed") or s.first("requests-raised")
    if pending and moved and target.startswith("deployment/"):
        # No capacity is missing: the new template cannot go where the old one ran.
        return Diagnosis(
            severity=_down(s, "high"),
            root_cause=f"{len({e.pod for e in pending})} pod(s) of {target} are Pending and unschedulable "
            f"(FailedScheduling) since a new deploy: {moved.detail} ({pending[0].detail[:200]})",
            affected=s.affected,
            impact=f"{_serving(s)} serving; the rollout is stuck",
            action={"verb": "rollout undo", "target": target, "namespace": ns},
            recommended_action=kubectl_command("rollout undo", target, ns)
            + f" (restores the previous revision's {', '.join(moved.values)})",
            requires_approval=s.all_down,
            confidence=0.75,
        )
    claim = s.first("unbound-claim")
    if pending:
        return Diagnosis(
            # capacity trouble while some replicas still serve degrades the service but does not stop it
            severity=_down(s, "medium"),
            root_cause=f"{len({e.pod for e in pending})} pod(s) of {target} are Pending and unschedulable "
            f"(FailedScheduling): {(claim.detail + ' (unbound claim); ') if claim else ''}{pending[0].detail}",
            affected=s.affected,
            impact=f"{_serving(s)} serving; new pods cannot be scheduled",
            action=None,
            recommended_action="No safe automatic action: scheduling needs cluster capacity or a change of "
            "resource requests/affinity; escalate to the on-call engineer",
            requires_approval=True,
            confidence=0.8,
        )
    disk = s.first("disk-full")
    if disk:
        return Diagnosis(
            severity=_down(s, "high"),
            root_cause=f"Disk full on {target}: the data volume is full, No space left on device ({disk.detail[:160]})",
            affected=s.affected,
            impact=f"{_serving(s)} serving; writes are failing",
            action=None,
            recommended_action="No safe automatic action: the volume is full (No space left on device); a "
            "restart will not free space. Escalate to expand the volume or clean up data",
            requires_approval=True,
            confidence=0.85,
        )
    pulls = s.of("image-pull")
    if not pulls:
        return None
    detail = next((e.detail for e in pulls if e.detail), "") or next(
        (str(e.get("message")) for e in s.warnings if e.get("reason") in ("Failed", "ErrImagePull")), ""
    )
    refused = s.first("registry-auth")
    dropped = s.first("pull-secret-dropped")
    if refused and dropped and target.startswith("deployment/"):
        # The credentials are not refused: the new template stopped presenting them.
        return Diagnosis(
            severity=_down(s, "high"),
            root_cause=f"ImagePullBackOff on {target} after a new deploy: {dropped.detail}, so the private "
            f"registry refuses the anonymous pull ({refused.detail[:200]})",
            affected=s.affected,
            impact=f"{_serving(s)} serving; the rollout is stuck",
            action={"verb": "rollout undo", "target": target, "namespace": ns},
            recommended_action=kubectl_command("rollout undo", target, ns)
            + " (the previous revision pulls with its imagePullSecrets)",
            requires_approval=s.all_down,
            confidence=0.8,
        )
    if refused:
        # Every tag lives in the same registry: rolling back pulls with the same credentials.
        return Diagnosis(
            severity=_down(s, "high"),
            root_cause=f"ImagePullBackOff on {target}: the registry refused the pull credentials "
            f"(authentication failed: {refused.detail[:220]}); the image pull secret or registry access must be "
            "renewed",
            affected=s.affected,
            impact=f"{_serving(s)} serving; no new pod can start",
            action=None,
            recommended_action="No safe automatic action: registry credentials are refused for every tag, so "
            "a rollback or restart pulls with the same credentials. Escalate to renew the image pull secret",
            requires_approval=True,
            confidence=0.8,
        )
    if s.has("previous-revision") and target.startswith("deployment/"):
        return Diagnosis(
            severity="high",
            root_cause=f"ImagePullBackOff after a new deploy of {target} (revision {s.findings.revision}): the new "
            f"image{_tag(detail)} cannot be pulled (bad image tag or missing image). {detail[:200]}".strip(),
            affected=s.affected,
            impact=f"{_serving(s)} serving; the rollout is stuck",
            action={"verb": "rollout undo", "target": target, "namespace": ns},
            recommended_action=kubectl_command("rollout undo", target, ns),
            requires_approval=s.all_down,
            confidence=0.85,
        )
    return undetermined(
        s.affected, f"ImagePullBackOff on {target} with no previous revision to roll back to", 0.4, severity="high"
    )


def _oom_pods(s: Situation) -> list[str]:
    killed = [e.pod for e in s.of("oom-killed")]
    if killed:
        return killed
    # No OOMKilled state, but the log says memory ran out and the pods restart.
    ran_out = s.has("out-of-memory") or s.has("memory-leak")
    return [p.name for p in s.pods if p.restarts > 0] if ran_out else []


def _proposals(s: Situation) -> list[Proposal]:
    """Every cause a change fixes that the evidence shows, most specific first."""
    f, target, ns = s.findings, s.target, s.findings.namespace
    oom = _oom_pods(s)
    crash = s.has("crash-loop")
    undo = {"verb": "rollout undo", "target": target, "namespace": ns}
    restart = {"verb": "rollout restart", "target": target, "namespace": ns}
    usage = ", ".join(v for e in s.of("memory-at-limit") for v in e.values) or ", ".join(
        f"{p.name}={f.metrics[p.name]}" for p in s.pods if p.name in f.metrics
    )
    lowered = s.first("limit-lowered")
    if lowered and oom:
        before, after = lowered.values
        # The most specific: the change that brought the OOMKills is known; nothing else competes.
        return [
            Proposal(
                "limit-lowered",
                ["rollout", "container-state"],
                Diagnosis(
                    severity=_down(s, "high"),
                    root_cause=f"{target} is OOMKilled at its memory limit: revision {f.revision} lowered the "
                    f"memory limit from {before} to {after}, below what the service uses"
                    f"{(' (' + usage + ')') if usage else ''}",
                    affected=s.affected,
                    impact=f"{_serving(s)} ready; requests fail while pods restart",
                    action=undo,
                    recommended_action=kubectl_command("rollout undo", target, ns)
                    + f" (restores the {before} memory limit of the previous revision)",
                    requires_approval=s.all_down,
                    confidence=0.8,
                ),
            )
        ]
    out: list[Proposal] = []
    leak_log = s.first("memory-leak")
    regressed = s.first("bad-revision")
    # Memory that grows until the limit is a leak whatever revision runs it: the log explains the failure.
    if regressed and not (oom and leak_log):
        out.append(
            Proposal(
                "bad-revision",
                ["rollout", *_signals_of(s, ("crash-loop", "probe-failing", "config-error"))],
                Diagnosis(
                    severity=_down(s, "high"),
                    root_cause=f"{regressed.label} after a new deploy of {target} (revision {f.revision}"
                    f"{_cause(s)}): {regressed.detail[:240]}. The previous revision ran without it",
                    affected=s.affected,
                    impact=f"{_serving(s)} serving; the new revision's pods do not come up",
                    action=undo,
                    recommended_action=kubectl_command("rollout undo", target, ns),
                    requires_approval=s.all_down,
                    confidence=0.8,
                ),
            )
        )
    probe = s.first("probe-changed")
    if probe and not regressed and target.startswith("deployment/"):
        # However old the revision, the probe it changed is the one that fails: the image is not to blame.
        out.append(
            Proposal(
                "probe-changed",
                ["rollout", "probes"],
                Diagnosis(
                    severity=_down(s, "high"),
                    root_cause=f"{probe.detail} ({target}); the previous revision's probe passed, so the probe "
                    f"setting, not the service, fails the pods",
                    affected=s.affected,
                    impact=f"{_serving(s)} serving; pods restart or leave the Service while the probe fails",
                    action=undo,
                    recommended_action=kubectl_command("rollout undo", target, ns)
                    + f" (restores the previous revision's {', '.join(probe.values)})",
                    requires_approval=s.all_down,
                    confidence=0.75,
                ),
            )
        )
    wedged = s.first("wedged-state")
    if target.startswith("statefulset/") and s.all_down and (crash or s.unhealthy) and wedged and not oom:
        out.append(
            Proposal(
                "wedged-state",
                [wedged.signal, "container-state"],
                Diagnosis(
                    severity="critical",
                    root_cause=f"All replicas of {target} are failing ({_states(s.pods)}): the database is wedged "
                    f"in a stale state ({wedged.detail[:200]}); a restart clears it",
                    affected=s.affected,
                    impact=f"0/{len(s.pods)} replicas ready: the service is down for every user",
                    action=restart,
                    recommended_action=kubectl_command("rollout restart", target, ns),
                    requires_approval=True,
                    confidence=0.7,
                ),
            )
        )
    config = s.first("config-error")
    if crash and config and not oom and (s.has("previous-revision") or f.revision > 1):
        out.append(
            Proposal(
                "config-error",
                [config.signal, "container-state", "rollout"],
                Diagnosis(
                    severity=_down(s, "high"),
                    root_cause=f"CrashLoopBackOff after a new revision of {target} (revision {f.revision}): "
                    f"configuration error at startup: {config.detail[:200]}",
                    affected=s.affected,
                    impact=f"{_serving(s)} serving; new pods crash on start",
                    action=undo,
                    recommended_action=kubectl_command("rollout undo", target, ns),
                    requires_approval=s.all_down,
                    confidence=0.85,
                ),
            )
        )
    at_limit = s.has("memory-at-limit")
    # A restart resets a leak's memory; it does nothing for a limit too small for the work, so
    # usage at the limit alone is not enough: the logs must show memory growing.
    if oom and leak_log:
        limit = next((p.limits_memory for p in s.pods if p.limits_memory), None)
        kind_word = "statefulset" if target.startswith("statefulset/") else "deployment"
        log = leak_log.detail if leak_log else ""
        out.append(
            Proposal(
                "memory-leak",
                ["container-state", *(["logs"] if leak_log else []), *(["usage"] if at_limit else [])],
                Diagnosis(
                    severity=_down(s, "high"),
                    root_cause=f"High memory usage on {target}: containers are OOMKilled at the {limit or 'memory'} "
                    f"limit and restart; memory grows until the limit (memory leak suspected). "
                    f"{('Usage: ' + usage + '. ') if usage else ''}{('Log: ' + log[:160]) if log else ''}".strip(),
                    affected=s.affected,
                    impact=f"{_serving(s)} ready; requests fail while pods restart",
                    action=restart,
                    recommended_action=kubectl_command("rollout restart", target, ns)
                    + f" (fresh pods reset the leaking {kind_word}'s memory; fix the leak afterwards)",
                    requires_approval=s.all_down,
                    confidence=0.85 if leak_log and at_limit else 0.75,
                ),
            )
        )
    return out


def _no_change(s: Situation) -> Diagnosis:
    """No change the evidence justifies: a symptom without a cause, an outage elsewhere, or nothing wrong."""
    target = s.target
    hint = s.first("dns") or s.first("tls")
    config = s.first("config-error")
    missing = s.first("missing-reference")
    if missing:
        return _missing_reference(s, missing)
    if _oom_pods(s):
        limit = next((p.limits_memory for p in s.pods if p.limits_memory), None)
        at = s.first("memory-at-limit")
        if at or s.has("out-of-memory"):
            seen = f"usage {at.detail}" if at else "the logs say memory ran out"
            why = (
                f"{target} is OOMKilled at its {limit or 'memory'} memory limit ({seen}), and nothing shows its "
                "memory growing over time: the limit may be too low for the work it gets (a leak is not shown). "
                "A restart or a rollback keeps the same limit; raising limits.memory needs a human"
            )
        else:
            why = (
                f"{target} is OOMKilled but nothing says whether its memory leaks or its limit is too small "
                "(no usage at the limit, no memory error in the logs, no change of the limit)"
            )
        return undetermined(s.affected, why, 0.35, severity=_down(s, "high"))
    if s.has("crash-loop"):
        error = s.first("error-line")
        line = (
            (config.detail if config else None)
            or (hint.detail if hint else None)
            or (error.detail if error else None)
            or "no error in the logs"
        )
        label = f"{hint.label}: " if hint and not config else ""
        return undetermined(
            s.affected,
            f"{label}{target} is in CrashLoopBackOff ({line[:200]}) without a new revision to roll back; "
            "nothing in the namespace can be changed safely to fix it",
            0.35,
            severity=_down(s, "high"),
        )
    mismatch = s.first("selector-mismatch")
    if mismatch and not s.unhealthy:
        service, want, have = mismatch.values
        return Diagnosis(
            severity="high",
            root_cause=f"Service {service} has no endpoints: its selector {want} matches none of the pods of "
            f"{target} (labelled {have}), which are all Running and Ready; traffic to the Service fails",
            affected=s.affected,
            impact=f"Clients of Service {service} get connection errors; the pods themselves are healthy",
            action=None,
            recommended_action=f"No safe automatic action: restarting or rolling back {target} does not change "
            f"the Service's selector. Escalate to fix the selector of Service {service} (or the pod labels)",
            requires_approval=True,
            confidence=0.75,
        )
    upstream = s.first("upstream")
    if not s.unhealthy and s.pods and upstream:
        return Diagnosis(
            severity="high",
            root_cause=f"Upstream dependency failing: all {len(s.pods)} pods of {target} are healthy (Running, "
            f"Ready, no restarts) but their requests to an external dependency fail: {upstream.detail[:220]}",
            affected=s.affected,
            impact="Requests that need the dependency fail; nothing in the cluster is broken",
            action=None,
            recommended_action="No safe automatic action: the service itself is healthy and a restart would not "
            "bring the dependency back. Escalate to the owner of the upstream service",
            requires_approval=True,
            confidence=0.7,
        )
    if s.has("healthy"):
        return Diagnosis(
            severity="low",
            root_cause=f"False alarm: all {len(s.pods)} pods of {target} are healthy (Running and Ready, no "
            f"crash-looping, no warning events); the alert was likely a transient spike",
            affected=s.affected,
            impact="No user-facing impact observed",
            action=None,
            recommended_action="No action needed: monitor the alert and tune its threshold if it recurs",
            requires_approval=False,
            confidence=0.8 if not s.warnings else 0.6,
        )
    found = f" ({hint.label}: {hint.detail[:200]})" if hint else ""
    empty = s.first("no-endpoints")
    behind = f"; {empty.detail}" if empty else ""
    return undetermined(
        s.affected,
        f"{len(s.unhealthy)} unhealthy pod(s) of {target}{found}{behind}; no change in the cluster explains it",
        0.3,
        severity=_down(s, "medium"),
    )


def _missing_reference(s: Situation, missing: Evidence) -> Diagnosis:
    """A Secret or ConfigMap the pods read is not there and no revision of ours changed the reference
    (that case is a bad revision, rolled back): it was deleted or never created. Nothing the agent
    may change brings it back, and a restart replaces serving pods with pods that cannot start."""
    kind, name = missing.values[0], missing.values[1]
    target, ns = s.target, s.findings.namespace
    stuck = sorted({e.pod for e in s.of("missing-reference") if e.pod})
    return Diagnosis(
        severity=_down(s, "high"),
        root_cause=f"{kind} {name} not found in namespace {ns}: {len(stuck)} pod(s) of {target} cannot start "
        f"(CreateContainerConfigError or FailedMount: {missing.detail[:160]}); "
        f"no revision changed the reference, so the {kind} was deleted or never created",
        affected=s.affected,
        impact=f"{_serving(s)} serving; every new pod fails the same way",
        action=None,
        recommended_action=f"No safe automatic action: {kind} {name} must be restored in {ns} by its owner "
        "(Secrets are never created by the agent); restarting would replace the serving pods with pods that "
        "cannot start. Escalate",
        requires_approval=True,
        confidence=0.75,
    )


def _signals_of(s: Situation, causes: tuple[str, ...]) -> list[str]:
    return sorted({e.signal for e in s.evidence if e.cause in causes})


def _cause(s: Situation) -> str:
    """The change-cause of the current revision, as ``kubectl rollout history`` shows it."""
    for rs in s.findings.replicasets:
        if rs_revision(rs) == s.findings.revision:
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
    return ", ".join(f"{n} {st}" for st, n in sorted(counts.items()))
