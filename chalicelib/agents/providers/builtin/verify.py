"""Verification after a fix, in words that are true.

The tutorial verifies with its diagnostic agent ("Verify the incident is resolved ... Remediation:
X"). Read as a fresh incident, healthy pods look like a false alarm, and a rollout still in
progress looks healthy. A verification instead says whether the fix took: resolved only on
settled evidence (the rollout finished, every replica updated and ready, no restarts since),
"not yet confirmed" while the rollout is still moving, "not resolved" when pods are unhealthy.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from chalicelib.agents.providers.builtin.facts import Findings
from chalicelib.agents.providers.builtin.transcript import Transcript
from chalicelib.agents.providers.builtin.triage import Diagnosis


def remediation_of(t: Transcript) -> str | None:
    """The change a verification prompt asks about, or None when the prompt is not one."""
    done = t.field("Remediation")
    if done and done.lower() not in ("none", "null", "n/a"):
        return done
    return None


def settled(workload: dict[str, Any] | None) -> tuple[bool, str]:
    """Has the workload's rollout finished? With the figures that show it."""
    if not workload:
        return False, "the workload could not be read"
    spec, status = workload.get("spec") or {}, workload.get("status") or {}
    meta = workload.get("metadata") or {}
    want = int(spec.get("replicas", 1) or 0)
    updated = int(status.get("updatedReplicas") or 0)
    ready = int(status.get("readyReplicas") or 0)
    total = int(status.get("replicas") or 0)
    observed = int(status.get("observedGeneration") or 0) >= int(meta.get("generation") or 0)
    figures = f"updated {updated}/{want}, ready {ready}/{want}, {total} pods in total"
    return observed and updated >= want and ready >= want and total <= want, figures


def verified(t: Transcript, f: Findings, diagnosis: Diagnosis) -> Diagnosis:
    """``diagnosis`` told as the verification of a fix when the prompt asks for one."""
    done = remediation_of(t)
    if done is None:
        return diagnosis
    healthy = diagnosis.action is None and diagnosis.root_cause.startswith("False alarm")
    finished, figures = settled(f.workload)
    target = f.target or "the workload"
    if healthy and finished:
        restarts = sum(p.restarts for p in f.pods)
        return replace(
            diagnosis,
            severity="low",
            root_cause=(
                f"Resolved after `{done}`: the rollout of {target} finished ({figures}); all {len(f.pods)} pods "
                f"Running and Ready, {restarts} restarts among them"
            ),
            impact="None observed now",
            recommended_action="No further action: the fix holds; keep the alert under watch",
            requires_approval=False,
        )
    if healthy:
        return replace(
            diagnosis,
            severity="medium",
            root_cause=f"Not yet confirmed after `{done}`: the rollout of {target} has not settled ({figures})",
            impact="Unknown until the rollout settles",
            recommended_action="Check again once the rollout has finished (kubectl rollout status)",
            requires_approval=False,
            confidence=min(diagnosis.confidence, 0.4),
        )
    return replace(diagnosis, root_cause=f"Not resolved after `{done}`: {diagnosis.root_cause}")
