"""The policy's own reading of an action: the typed changes it makes and how dangerous they look.

Tools classify their calls too, but the policy does not take their word (nor the model's): it
re-reads the command strictly (:mod:`.kubectl_argv` for kubectl, the operation's own fields for
the Kubernetes tool), one :class:`Change` per object, and judges those. This is the judgment
before the cluster is asked; :mod:`.effect` refines it from the server-side dry run, and only
ever towards more caution.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from chalicelib.agents.types import Action, ActionKind
from chalicelib.errors import ToolRefused
from chalicelib.policy import kubectl_argv
from chalicelib.policy.kinds import SENSITIVE_KINDS, canonical_kind, is_cluster_scoped
from chalicelib.policy.settings import SafetySettings

#: Verbs of the Kubernetes tool, in kubectl's words (one vocabulary for both tools and plans).
OPERATION_VERBS = {
    "rollout_restart": "rollout restart",
    "rollout_undo": "rollout undo",
    "scale": "scale",
    "patch_resources": "patch",
    "delete_pod": "delete",
}
#: Verbs whose exact arguments are part of the change (an approval of one image is not of another).
DETAILED_VERBS = frozenset({"patch", "set image", "set env", "set resources", "label", "annotate", "create", "taint"})
#: Flags of a change that do not decide what it changes: how it prints, how long kubectl waits.
NO_EFFECT_FLAGS = frozenset({"output", "dry-run", "timeout", "request-timeout", "wait"})
#: The order detailed verbs have always listed their flags in (a change's description is stable).
_DETAIL_ORDER = (
    "container",
    "limits",
    "requests",
    "clusterrole",
    "role",
    "user",
    "group",
    "serviceaccount",
    "verb",
    "resource",
    "image",
    "from-literal",
    "overwrite",
)
#: The only output formats that never print an object's data (for a Secret: its values). kubectl
#: has many printers that do (yaml, json, jsonpath, jsonpath-as-json, templatefile, custom
#: columns, and more in each release), so the safe ones are listed, not the others.
NAME_ONLY_OUTPUTS = frozenset({"", "name", "wide"})


@dataclass(frozen=True)
class Change:
    """What a mutating action does to one object, in one vocabulary for every tool and for plans."""

    verb: str
    kind: str | None
    name: str | None
    namespace: str | None
    replicas: int | None = None
    #: The exact arguments for verbs where they matter (the patch, the image, the labels).
    detail: str = ""

    @property
    def target(self) -> str:
        return f"{self.kind}/{self.name}" if self.kind and self.name else (self.name or self.kind or "?")

    def describe(self) -> str:
        extra = f" --replicas={self.replicas}" if self.replicas is not None else ""
        detail = f" {self.detail}" if self.detail else ""
        where = f" -n {self.namespace}" if self.namespace else " (cluster-wide)" if self.kind else " -n ?"
        return f"{self.verb} {self.target}{detail}{extra}{where}"


@dataclass(frozen=True)
class Assessment:
    kind: ActionKind
    changes: tuple[Change, ...]
    #: Set when the action is off limits whatever any human says.
    forbidden: str | None = None
    #: Why the action counts as destructive (for the audit trail and the refusal message).
    why: str = ""

    @property
    def change(self) -> Change:
        """The first change (the one a single-object command makes)."""
        return self.changes[0] if self.changes else Change("?", None, None, None)

    def describe(self) -> str:
        return "; ".join(c.describe() for c in self.changes) or self.change.describe()


# --- reading a tool call into changes ------------------------------------------------------


def changes_of_command(command: kubectl_argv.KubectlCommand) -> tuple[Change, ...]:
    """One change per object a kubectl command acts on (none for a read or a dry run)."""
    if command.effect == "read" or command.dry_run:
        return ()
    replicas = int(command.flags["replicas"]) if command.verb == "scale" else None
    detail = _detail(command)
    return tuple(
        Change(
            verb=command.verb,
            kind=o.kind,
            name=o.name,
            namespace=(o.name if o.kind == "namespace" else o.namespace),
            replicas=replicas,
            detail=detail,
        )
        for o in command.objects
    )


def _detail(command: kubectl_argv.KubectlCommand) -> str:
    """Everything in the command that decides what it changes, beyond verb, object and replicas.

    Two changes are the same (for an approval, an idempotency key) only when these match, so a
    flag counts unless it is known not to change the effect: an approval of a delete by one
    label is not one of ``--all`` or another label, nor is a graceful delete a forced one.
    """
    shown = {"replicas"}
    parts: list[str] = []
    if command.verb == "patch":
        try:
            body = json.loads(command.flags["patch"])
        except ValueError as exc:
            raise ToolRefused(f"--patch is not valid JSON: {exc}") from exc
        kind = command.flags.get("type", "strategic")
        parts.append(f"--type={kind} --patch={json.dumps(body, sort_keys=True, separators=(',', ':'))}")
        shown |= {"patch", "type"}
    elif command.verb in DETAILED_VERBS:
        parts += command.arguments
        for name in _DETAIL_ORDER:
            if name in command.flags:
                parts.append(f"--{name}={command.flags[name]}")
                shown.add(name)
    parts += [
        f"--{name}={value}"
        for name, value in sorted(command.flags.items())
        if name not in shown and name not in NO_EFFECT_FLAGS
    ]
    return " ".join(parts)


def parse_kubectl_action(argv: tuple[str, ...] | list[str], default_namespace: str) -> kubectl_argv.KubectlCommand:
    command = kubectl_argv.parse(argv, default_namespace)
    refuse_secret_data(command)
    return command


def refuse_secret_data(command: kubectl_argv.KubectlCommand) -> None:
    """A command that would print Secret values is refused: they would reach the model's context,
    its provider and the audit trail. Listing Secrets by name (or describing them: sizes only)
    is fine. Every verb counts, not only ``get``: ``label``, ``annotate`` or ``patch`` with
    ``--dry-run`` change nothing, so they are reads, and with ``-o yaml`` they print the object."""
    if not any(o.kind == "secret" for o in command.objects):
        return
    output = command.output.split("=", 1)[0]
    if output not in NAME_ONLY_OUTPUTS:
        raise ToolRefused(
            f"refused: 'kubectl {command.verb} secrets -o {output}' would print Secret values into the conversation "
            "and the audit trail; list them by name or describe them instead"
        )


def operation_changes(params: dict[str, Any]) -> tuple[Change, ...]:
    """The change a Kubernetes tool operation makes (none for a read)."""
    operation = str(params.get("operation") or "")
    verb = OPERATION_VERBS.get(operation)
    if verb is None:
        return ()
    namespace = str(params.get("namespace") or "default")
    if operation == "delete_pod":
        return (Change("delete", "pod", str(params.get("name") or "").split("/")[-1] or None, namespace),)
    kind = canonical_kind(str(params.get("kind") or "")) or None
    name = str(params.get("name") or "") or None
    if name and "/" in name:
        raw_kind, _, name = name.partition("/")
        kind = canonical_kind(raw_kind)
    replicas = int(params["replicas"]) if operation == "scale" and "replicas" in params else None
    detail = ""
    if operation == "patch_resources":
        body = {
            "spec": {
                "template": {
                    "spec": {"containers": [{"name": params.get("container"), "resources": params.get("resources")}]}
                }
            }
        }
        detail = f"--type=strategic --patch={json.dumps(body, sort_keys=True, separators=(',', ':'))}"
    elif operation == "rollout_undo" and params.get("to_revision"):
        detail = f"--to-revision={params['to_revision']}"
    return (Change(verb, kind, name, namespace, replicas, detail),)


def changes_of(action: Action, default_namespace: str = "default") -> tuple[Change, ...]:
    """The typed changes of any acting tool call (``ToolRefused`` when it cannot be read)."""
    if action.argv and action.argv[0] == "kubectl":
        return changes_of_command(parse_kubectl_action(action.argv, action.namespace or default_namespace))
    if action.tool == "kubernetes":
        return operation_changes(dict(action.params))
    # Any other tool (helm, MCP, a plan's prose): one change named by the tool's own reading.
    kind: str | None = None
    name: str | None = None
    target = action.target or ""
    if "/" in target:
        raw_kind, _, name = target.partition("/")
        kind = canonical_kind(raw_kind)
    elif target:
        name = target
    replicas = int(action.params["replicas"]) if "replicas" in action.params else None
    return (Change(action.verb, kind, name, action.namespace, replicas),)


def change_of(action: Action) -> Change:
    """The first change of ``action`` (single-object callers)."""
    found = changes_of(action)
    return found[0] if found else Change(action.verb, None, action.target, action.namespace)


# --- the judgment before the cluster is asked ----------------------------------------------


def assess(action: Action, safety: SafetySettings) -> Assessment:
    """Classify ``action`` under ``safety``. Reads stay reads (their own checks run in the tool);
    everything else is judged from its typed changes, conservatively: what cannot be known
    without the cluster is left for :mod:`.effect` to look at."""
    if action.kind == "read":
        return Assessment("read", ())
    changes = changes_of(action)
    if not changes:
        return Assessment("read", ())
    forbidden = next((f for f in (_forbidden(c, safety) for c in changes) if f), None)
    kind, why = static_kind(action, changes, safety)
    return Assessment(kind, changes, forbidden, why)


def static_kind(action: Action, changes: tuple[Change, ...], safety: SafetySettings) -> tuple[ActionKind, str]:
    """Destructive when the command alone shows it; otherwise a write, pending the dry run."""
    if action.tool not in ("shell", "kubernetes", "plan"):
        return "destructive", f"{action.tool} '{action.verb}' cannot be dry-run, so its effect cannot be seen"
    if len(changes) > 1:
        return "destructive", f"the action changes {len(changes)} objects at once"
    change = changes[0]
    if change.name is None:
        return "destructive", "the action selects objects by kind, label, field or --all, not by name"
    if change.kind and change.kind in SENSITIVE_KINDS:
        return "destructive", f"it changes a {change.kind}: {SENSITIVE_KINDS[change.kind]}"
    if change.kind and is_cluster_scoped(change.kind):
        return "destructive", f"{change.kind} is cluster-scoped"
    if change.kind in safety.protected_kinds:
        return "destructive", f"{change.kind} is a protected kind"
    if change.namespace in safety.protected_namespaces:
        return "destructive", f"namespace {change.namespace} is protected"
    if change.verb in ("set image", "set env"):
        return "destructive", f"'{change.verb}' changes what the containers run"
    if change.verb in ("create", "expose", "autoscale"):
        return "destructive", "it creates a new object"
    if change.verb in ("cordon", "uncordon", "drain", "taint"):
        return "destructive", "it changes where workloads may run"
    if change.verb == "scale" and change.replicas == 0:
        return "destructive", "scaling to zero stops the service"
    if (
        change.verb == "scale"
        and change.replicas is not None
        and not (safety.min_replicas <= change.replicas <= safety.max_replicas)
    ):
        return "destructive", (
            f"{change.replicas} replicas is outside the configured band {safety.min_replicas}..{safety.max_replicas}"
        )
    if change.verb == "delete":
        flags = _flags(action)
        if change.kind != "pod":
            return "destructive", f"deleting a {change.kind or 'resource'} removes it for good"
        if flags.get("force") == "true" or flags.get("grace-period") == "0" or flags.get("now") == "true":
            return "destructive", "a forced delete skips the pod's graceful shutdown"
        # One pod: a write if its controller replaces it (the dry run checks the owner).
    return "write", ""


def _flags(action: Action) -> dict[str, str]:
    if action.argv and action.argv[0] == "kubectl":
        return kubectl_argv.parse(action.argv, action.namespace or "default").flags
    return {}


def _forbidden(change: Change, safety: SafetySettings) -> str | None:
    if change.namespace is None and change.kind and not is_cluster_scoped(change.kind) and safety.forbidden_namespaces:
        return (
            "the action reaches every namespace, "
            + ", ".join(sorted(safety.forbidden_namespaces))
            + " included, which are off limits to automation"
        )
    if change.kind and change.kind in safety.forbidden_kinds:
        return f"{change.kind} objects are off limits to automation"
    if change.namespace and change.namespace in safety.forbidden_namespaces:
        return f"namespace {change.namespace} is off limits to automation"
    if safety.allowed_namespaces is not None:
        if change.namespace is None:
            return "the action is cluster-wide; only " + ", ".join(sorted(safety.allowed_namespaces)) + " may change"
        if change.namespace not in safety.allowed_namespaces:
            return f"namespace {change.namespace} is not among the allowed namespaces"
    return None
