"""Judging a change by what it does: the live object against the server-side dry run's result.

A command's spelling says little: ``kubectl patch`` can bump a memory limit or swap the image,
``kubectl label`` can tag a pod or pull it out of its ReplicaSet. So before any write the gate
asks the API server what the object would become (``dryRun=All``) and compares that with the
object as it is. Only differences the policy knows to be ordinary remediations stay writes:

- a restart (the pod template's ``kubectl.kubernetes.io/restartedAt`` annotation);
- container ``resources`` (requests and limits);
- ``spec.replicas`` within the configured band (never zero);
- pausing or resuming a rollout;
- a rollout back to a pod template one of the workload's own revisions already ran;
- annotations and labels on an object no controller owns (not on Services and Ingresses, whose
  annotations drive load balancers, and not in the prefixes Kubernetes reserves for itself);
- deleting one pod that a controller replaces.

Only on an object no controller owns: what a controller owns, it sets and puts back, so any
change to it is destructive. Every other difference is destructive and names the field, and a
change whose effect cannot be seen (the object cannot be read, the dry run shows nothing) is
destructive too.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from chalicelib.agents.types import ActionKind
from chalicelib.policy.classify import Assessment, Change
from chalicelib.policy.settings import SafetySettings

RESTART_ANNOTATION = "kubectl.kubernetes.io/restartedAt"
#: Label and annotation prefixes Kubernetes reserves: its controllers and tools act on these
#: (``kubectl.kubernetes.io/last-applied-configuration`` decides what the next apply deletes).
RESERVED_DOMAINS = ("kubernetes.io", "k8s.io")
#: Bookkeeping the API server or a controller writes; never a change anyone asked for.
_IGNORED = (
    ("metadata", "resourceVersion"),
    ("metadata", "generation"),
    ("metadata", "managedFields"),
    ("metadata", "creationTimestamp"),
    ("metadata", "uid"),
    ("metadata", "selfLink"),
    ("metadata", "annotations", "deployment.kubernetes.io/revision"),
    ("status",),
)
#: Pod-spec fields that change what runs or what it can reach: named in the refusal.
_SENSITIVE_FIELDS = {
    "image": "the container image",
    "command": "the container command",
    "args": "the container arguments",
    "env": "the environment",
    "envFrom": "the environment",
    "volumes": "the volumes",
    "volumeMounts": "the volume mounts",
    "securityContext": "the security context",
    "serviceAccountName": "the service account",
    "serviceAccount": "the service account",
    "hostNetwork": "host networking",
    "hostPID": "the host's processes",
    "hostIPC": "the host's IPC",
    "nodeName": "the node it runs on",
    "nodeSelector": "where it may run",
    "tolerations": "where it may run",
    "affinity": "where it may run",
    "selector": "which pods the controller owns",
}


@dataclass
class Observation:
    """What the cluster showed about one change before it was made."""

    #: The object as it is now (None: it could not be read).
    live: dict[str, Any] | None
    #: The object as the server-side dry run says it would be (None for a delete, or not seen).
    result: dict[str, Any] | None
    #: Pod templates the workload ran in earlier revisions (for ``rollout undo``).
    revisions: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class EffectJudgment:
    kind: ActionKind
    why: str
    #: The fields that would change (dotted paths), for the audit trail.
    fields: tuple[str, ...] = ()


def judge(change: Change, seen: Observation, safety: SafetySettings) -> EffectJudgment:
    """Write or destructive, from what the dry run shows ``change`` would do."""
    if seen.live is None:
        return EffectJudgment(
            "destructive", f"{change.target} could not be read, so the change's effect cannot be seen"
        )
    if change.verb == "delete":
        return _judge_delete(change, seen.live)
    if seen.result is None:
        return EffectJudgment("destructive", "the server-side dry run showed no resulting object")
    paths = list(differences(seen.live, seen.result))
    if not paths:
        return EffectJudgment("write", "the dry run shows no difference")
    shown = tuple(".".join(str(p) for p in path) for path in paths)
    owned = _controller(seen.live) is not None
    kind = change.kind or ""
    template_matches_revision = change.verb == "rollout undo" and _matches_revision(seen.result, seen.revisions)
    for path, label in zip(paths, shown, strict=True):
        reason = _destructive_reason(path, kind, owned, seen, safety, template_matches_revision)
        if reason:
            return EffectJudgment("destructive", f"{reason} ({label})", shown)
    return EffectJudgment("write", "only " + ", ".join(shown[:6]) + " would change", shown)


def refine(
    verdict: Assessment, observations: list[Observation], safety: SafetySettings
) -> tuple[Assessment, list[dict[str, Any]]]:
    """``verdict`` corrected by what the dry run showed of each change (only towards caution),
    with each change's own judgment for the audit trail."""
    kind, why = verdict.kind, verdict.why
    effects: list[dict[str, Any]] = []
    for change, seen in zip(verdict.changes, observations, strict=False):
        judged = judge(change, seen, safety)
        effects.append({"change": change.describe(), "kind": judged.kind, "why": judged.why, "fields": judged.fields})
        if judged.kind == "destructive" and kind != "destructive":
            kind, why = "destructive", judged.why
    if len(observations) < len(verdict.changes):
        kind, why = "destructive", "the dry run did not show every object the action changes"
    return replace(verdict, kind=kind, why=why), effects


def _judge_delete(change: Change, live: dict[str, Any]) -> EffectJudgment:
    if change.kind != "pod":
        return EffectJudgment("destructive", f"deleting a {change.kind} removes it for good")
    owner = _controller(live)
    if owner is None:
        return EffectJudgment("destructive", f"pod/{change.name} has no controller to replace it")
    return EffectJudgment("write", f"its controller {owner} replaces pod/{change.name}")


def _destructive_reason(
    path: tuple[str | int, ...],
    kind: str,
    owned: bool,
    seen: Observation,
    safety: SafetySettings,
    template_matches_revision: bool,
) -> str | None:
    head = path[:2]
    if owned:
        # A controller sets what it owns (a ReplicaSet's replicas, a pod's labels) and puts it
        # back: changing it is a fight with the controller whose outcome the dry run cannot show
        # (an old ReplicaSet scaled up runs the old revision beside the current one).
        return f"the object belongs to its controller {_controller(seen.live or {})}, which owns its spec and metadata"
    if head in (("metadata", "annotations"), ("metadata", "labels")) and len(path) > 2:
        key = str(path[2])
        if _reserved(key):
            return f"'{key}' is read by Kubernetes' own components and tools"
    if path == ("spec", "replicas"):
        new = _at(seen.result, path)
        if not isinstance(new, int) or new <= 0:
            return "scaling to zero stops the service"
        if not safety.min_replicas <= new <= safety.max_replicas:
            return f"{new} replicas is outside the configured band {safety.min_replicas}..{safety.max_replicas}"
        return None
    if path == ("spec", "paused"):
        return None
    if head == ("metadata", "annotations") or head == ("metadata", "labels"):
        if kind == "pod" and head == ("metadata", "labels"):
            return "a pod's labels decide which controller and Service select it"
        if kind in ("service", "ingress"):
            return f"a {kind}'s annotations configure its load balancer"
        return None
    if path[:2] == ("spec", "template"):
        if path[2:] == ("metadata", "annotations", RESTART_ANNOTATION):
            return None
        if template_matches_revision:
            return None
        if len(path) >= 7 and path[2:4] == ("spec", "containers") and path[5] == "resources":
            return None
        for part in path[2:]:
            if isinstance(part, str) and part in _SENSITIVE_FIELDS:
                return f"it changes {_SENSITIVE_FIELDS[part]}"
        return "it changes the pod template in a way the policy does not know to be safe"
    for part in path:
        if isinstance(part, str) and part in _SENSITIVE_FIELDS:
            return f"it changes {_SENSITIVE_FIELDS[part]}"
    return "it changes a field the policy does not know to be safe"


def _reserved(key: str) -> bool:
    """Is ``key`` in a prefix Kubernetes reserves for itself (``kubernetes.io``, ``k8s.io``)?"""
    prefix = key.partition("/")[0] if "/" in key else ""
    return any(prefix == domain or prefix.endswith("." + domain) for domain in RESERVED_DOMAINS)


def differences(before: Any, after: Any, path: tuple[str | int, ...] = ()) -> Iterator[tuple[str | int, ...]]:
    """Paths (leaves, or the smallest differing sub-tree) where ``after`` differs from ``before``."""
    if any(path[: len(ignored)] == ignored for ignored in _IGNORED):
        return
    # A mapping that appears or goes away is compared key by key, so a new annotation is named
    # by its own path rather than by its parent's.
    if isinstance(after, dict) and before is None:
        before = {}
    if isinstance(before, dict) and after is None:
        after = {}
    if isinstance(before, dict) and isinstance(after, dict):
        for key in sorted(set(before) | set(after)):
            if _empty(before.get(key)) and _empty(after.get(key)):
                continue
            yield from differences(before.get(key), after.get(key), (*path, key))
        return
    if isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        for index, (b, a) in enumerate(zip(before, after, strict=True)):
            yield from differences(b, a, (*path, index))
        return
    if before != after:
        yield path


def _empty(value: Any) -> bool:
    return value is None or value == {} or value == []


def _at(obj: Any, path: tuple[str | int, ...]) -> Any:
    for part in path:
        if isinstance(obj, dict) and isinstance(part, str):
            obj = obj.get(part)
        elif isinstance(obj, list) and isinstance(part, int) and part < len(obj):
            obj = obj[part]
        else:
            return None
    return obj


def _controller(obj: dict[str, Any]) -> str | None:
    for owner in (obj.get("metadata") or {}).get("ownerReferences") or []:
        if owner.get("controller"):
            return f"{str(owner.get('kind', '?')).lower()}/{owner.get('name', '?')}"
    return None


def _matches_revision(result: dict[str, Any], revisions: list[dict[str, Any]]) -> bool:
    """Is the template the dry run would set one the workload already ran (a revision)?"""
    wanted = _template_key(_at(result, ("spec", "template")))
    return any(_template_key(t) == wanted for t in revisions)


def _template_key(template: Any) -> str:
    template = json.loads(json.dumps(template or {}))
    labels = (template.get("metadata") or {}).get("labels") or {}
    labels.pop("pod-template-hash", None)
    return json.dumps(_strip_empty(template), sort_keys=True)


def _strip_empty(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip_empty(v) for k, v in value.items() if not _empty(v)}
    if isinstance(value, list):
        return [_strip_empty(v) for v in value]
    return value
