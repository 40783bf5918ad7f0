"""The policy's own reading of an action: what it touches and how dangerous it is.

Tools classify their calls too, but the policy does not take their word (nor the model's): it
recomputes the kind from the verb, the object kind, the namespace and the configured limits.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chalicelib.agents.types import Action, ActionKind
from chalicelib.policy.settings import DATA_KINDS, SafetySettings, singular_kind

#: The canonical verbs of the change protocol (what the Kubernetes tool and kubectl both do).
_VERBS = {"patch resources": "patch", "delete pod": "delete"}


@dataclass(frozen=True)
class Change:
    """What a mutating action does, in one vocabulary for kubectl, the Kubernetes tool and plans."""

    verb: str
    kind: str | None
    name: str | None
    namespace: str | None
    replicas: int | None = None

    @property
    def target(self) -> str:
        return f"{self.kind}/{self.name}" if self.kind and self.name else (self.name or self.kind or "?")

    def describe(self) -> str:
        extra = f" --replicas={self.replicas}" if self.replicas is not None else ""
        return f"{self.verb} {self.target}{extra} -n {self.namespace or '?'}"


@dataclass(frozen=True)
class Assessment:
    kind: ActionKind
    change: Change
    #: Set when the action is off limits whatever any human says.
    forbidden: str | None = None
    #: Why the action counts as destructive (for the audit trail and the refusal message).
    why: str = ""


def change_of(action: Action) -> Change:
    verb = _VERBS.get(action.verb, action.verb)
    kind: str | None = None
    name: str | None = None
    target = action.target or ""
    if "/" in target:
        raw_kind, _, name = target.partition("/")
        kind = singular_kind(raw_kind)
    elif target:
        name = target
    if action.verb == "delete pod":
        kind = "pod"
        name = (name or "").split("/")[-1] or None
    params: dict[str, Any] = dict(action.params)
    replicas: int | None = None
    if verb == "scale":
        replicas = _replicas(action, params)
    namespace = action.namespace
    if kind == "namespace" and name:
        namespace = name  # deleting or changing a namespace acts on everything in it
    return Change(verb=verb, kind=kind, name=name, namespace=namespace, replicas=replicas)


def _replicas(action: Action, params: dict[str, Any]) -> int | None:
    if "replicas" in params:
        return int(params["replicas"])
    for i, arg in enumerate(action.argv):
        if arg.startswith("--replicas="):
            return int(arg.split("=", 1)[1])
        if arg == "--replicas" and i + 1 < len(action.argv):
            return int(action.argv[i + 1])
    return None


def assess(action: Action, safety: SafetySettings) -> Assessment:
    """Classify ``action`` under ``safety``; reads stay reads, everything else is judged here."""
    change = change_of(action)
    if action.kind == "read":
        return Assessment("read", change)
    forbidden = _forbidden(change, safety)
    kind: ActionKind = "write" if action.kind == "write" else "destructive"
    why = "" if kind == "write" else f"{action.tool} classifies '{action.verb}' as destructive"
    if change.verb == "delete" and change.kind == "pod" and change.name and not _selects_many(action):
        # One named pod: its controller replaces it (the tutorial's "clear stuck resources").
        kind, why = "write", ""
    if change.verb == "delete" and change.kind in DATA_KINDS:
        kind, why = "destructive", f"deleting a {change.kind} loses data"
    if change.verb == "scale" and change.replicas == 0:
        kind, why = "destructive", "scaling to zero stops the service"
    if change.kind in safety.protected_kinds:
        kind, why = "destructive", f"{change.kind} is a protected kind"
    if change.namespace in safety.protected_namespaces:
        kind, why = "destructive", f"namespace {change.namespace} is protected"
    if _selects_many(action):
        kind, why = "destructive", "the action selects many objects"
    return Assessment(kind, change, forbidden, why)


def _selects_many(action: Action) -> bool:
    flags = {a.split("=", 1)[0] for a in action.argv}
    return bool(flags & {"--all", "-A", "--all-namespaces", "-l", "--selector"})


def _forbidden(change: Change, safety: SafetySettings) -> str | None:
    if change.kind and change.kind in safety.forbidden_kinds:
        return f"{change.kind} objects are off limits to automation"
    if change.namespace and change.namespace in safety.forbidden_namespaces:
        return f"namespace {change.namespace} is off limits to automation"
    if safety.allowed_namespaces is not None:
        if change.namespace is None:
            return "the action names no namespace; only " + ", ".join(sorted(safety.allowed_namespaces)) + " may change"
        if change.namespace not in safety.allowed_namespaces:
            return f"namespace {change.namespace} is not among the allowed namespaces"
    return None
