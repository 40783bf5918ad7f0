"""kubectl argv -> the structured operation that does exactly the same, or a refusal."""

from __future__ import annotations

import json
from typing import Any

from chalicelib.agents.tools.kubectl import KubectlCall, parse_kubectl
from chalicelib.errors import ToolRefused

from .kinds import normalise_kind

#: the namespace). Any other flag of a change (``--dry-run``, a selector, ``--force``, ``-o``...)
#: would be dropped by the translation, so the structured call would do something other than the
#: command the policy judged; such a command has no structured equivalent.
_CHANGE_FLAGS: dict[str, frozenset[str]] = {
    "rollout restart": frozenset(),
    "rollout undo": frozenset({"--to-revision"}),
    "scale": frozenset({"--replicas"}),
    "delete": frozenset(),
    "patch": frozenset({"--patch", "-p", "--type"}),
}
_NAMESPACE_FLAGS = frozenset({"-n", "--namespace"})


def _exact_change(call: KubectlCall, args: list[str]) -> None:
    """Refuse a change the structured call would not make exactly as kubectl would."""
    allowed = _CHANGE_FLAGS.get(call.verb)
    if allowed is None:
        return
    extra = sorted((set(call.flags) - allowed - _NAMESPACE_FLAGS) | call.switches)
    if extra:
        raise ToolRefused(f"'kubectl {' '.join(args)}' has no exact structured equivalent ({', '.join(extra)})")
    # One object, as KIND/NAME or KIND NAME: a bare kind is a selection, more words more objects.
    pos = call.positionals
    one = (len(pos) == 1 and pos[0].partition("/")[2] != "") or (len(pos) == 2 and "/" not in pos[0])
    if not one:
        raise ToolRefused(f"'kubectl {' '.join(args)}' does not name exactly one object")


def _resources_patch(body: dict[str, Any]) -> dict[str, Any] | None:
    """The container of a patch that sets one container's resources and nothing else."""
    try:
        (container,) = body["spec"]["template"]["spec"]["containers"]
    except (KeyError, TypeError, ValueError):
        return None
    if not isinstance(container, dict) or set(container) != {"name", "resources"}:
        return None
    if not isinstance(container["name"], str) or not isinstance(container["resources"], dict):
        return None
    # The structured call sends exactly this body: anything else in the patch would be lost.
    if body != {"spec": {"template": {"spec": {"containers": [container]}}}}:
        return None
    return container


def _several_kinds(base: dict[str, Any], kinds: str, name: str, call: KubectlCall, args: list[str]) -> dict[str, Any]:
    """``kubectl get pods,svc``: one listing per kind, in the order given (as kubectl prints them)."""
    if name:
        raise ToolRefused(f"'kubectl {' '.join(args)}' names one object in several kinds; name one kind")
    plural = list(dict.fromkeys(normalise_kind(kind) for kind in kinds.split(",") if kind))
    op: dict[str, Any] = {**base, "operation": "get", "kind": plural[0], "kinds": plural}
    selector = call.flags.get("-l") or call.flags.get("--selector")
    if selector:
        op["label_selector"] = selector
    return op


def kubectl_to_operation(args: list[str]) -> dict[str, Any]:
    """The structured call for a kubectl argv, for the verbs the tool supports.

    A change is translated only when the structured call does exactly what kubectl would (the
    same object, the same body, no dry run, selector or flag left behind); anything else is
    refused, so neither the policy's dry run nor a runtime without kubectl acts on a different
    change than the one judged.
    """
    call = parse_kubectl(args)
    _exact_change(call, args)
    ns = call.namespace or "default"
    pos = call.positionals
    everywhere = bool({"-A", "--all-namespaces"} & call.switches) or call.flags.get("--all-namespaces") == "true"
    base: dict[str, Any] = {"namespace": ns}
    if everywhere and call.verb in ("get", "events", "top"):
        base = {"all_namespaces": True}  # every namespace: kubectl ignores -n with -A too
    if call.verb in ("get", "describe"):
        if not pos:
            raise ToolRefused(f"kubectl {call.verb} needs a resource")
        kind, _, name = pos[0].partition("/")
        name = name or (pos[1] if len(pos) > 1 else "")
        if call.verb == "get" and "," in kind:
            return _several_kinds(base, kind, name, call, args)
        if normalise_kind(kind) == "events" and call.verb == "get":
            return {**base, "operation": "events"}
        op = {**base, "operation": call.verb, "kind": kind}
        if name:
            op["name"] = name
        selector = call.flags.get("-l") or call.flags.get("--selector")
        if selector:
            op["label_selector"] = selector
        return op
    if call.verb == "events":
        return {**base, "operation": "events"}
    if call.verb == "logs":
        if not pos:
            raise ToolRefused("kubectl logs needs a pod")
        op = {**base, "operation": "logs", "name": pos[0]}
        if "-p" in call.switches or "--previous" in call.switches or call.flags.get("--previous") == "true":
            op["previous"] = True
        if call.flags.get("-c") or call.flags.get("--container"):
            op["container"] = call.flags.get("-c") or call.flags.get("--container")
        if call.flags.get("--tail"):
            op["tail"] = int(call.flags["--tail"])
        return op
    if call.verb == "top":
        return {**base, "operation": "top", "kind": pos[0] if pos else "pods"}
    if call.verb == "rollout status" and call.target:
        kind, _, name = call.target.partition("/")
        timeout = call.flags.get("--timeout", "30s").rstrip("s")
        return {**base, "operation": "rollout_status", "kind": kind, "name": name, "timeout_seconds": float(timeout)}
    if call.verb in ("rollout restart", "rollout undo"):
        if not call.target:
            raise ToolRefused(f"kubectl {call.verb} needs a resource")
        kind, _, name = call.target.partition("/")
        op = {**base, "operation": call.verb.replace(" ", "_"), "kind": kind, "name": name}
        if call.flags.get("--to-revision"):
            op["to_revision"] = int(call.flags["--to-revision"])
        return op
    if call.verb == "scale":
        kind, _, name = (call.target or "").partition("/")
        return {**base, "operation": "scale", "kind": kind, "name": name, "replicas": int(call.flags["--replicas"])}
    if call.verb == "delete" and pos and normalise_kind(pos[0].partition("/")[0]) == "pods":
        kind, _, name = (call.target or "").partition("/")
        return {**base, "operation": "delete_pod", "name": name}
    if call.verb == "patch" and call.target and call.flags.get("--type", "strategic") == "strategic":
        body = json.loads(call.flags.get("-p") or call.flags.get("--patch") or "{}")
        if not isinstance(body, dict):
            raise ToolRefused("a strategic merge patch is a JSON object")
        container = _resources_patch(body)
        if container is not None:
            kind, _, name = call.target.partition("/")
            return {
                **base,
                "operation": "patch_resources",
                "kind": kind,
                "name": name,
                "container": container["name"],
                "resources": container["resources"],
            }
    raise ToolRefused(f"'kubectl {' '.join(args)}' has no structured equivalent")
