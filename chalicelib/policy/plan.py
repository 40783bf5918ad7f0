"""What an approved plan allows: the actions it proposes, read back into :class:`Change` form."""

from __future__ import annotations

import re
import shlex
from typing import Any

from chalicelib.agents.tools.kubectl import parse_kubectl
from chalicelib.agents.types import Action
from chalicelib.policy.classify import Change, change_of

_KUBECTL_RE = re.compile(r"kubectl\s+([^\n`()]+)")


def planned_changes(plan: dict[str, Any]) -> list[Change]:
    """Every change the plan's proposed actions name (kubectl commands or the tutorial's prose)."""
    from chalicelib.agents.providers.builtin.remediate import parse_action

    default_ns = str(plan.get("namespace") or "default")
    found: list[Change] = []
    for text in (plan.get("proposed_actions") or {}).values():
        text = str(text)
        commands = _KUBECTL_RE.findall(text)
        for command in commands:
            try:
                args = shlex.split(command)
            except ValueError:
                continue
            call = parse_kubectl(args)
            action = Action(
                kind=call.kind,
                verb=call.verb,
                tool="shell",
                target=call.target,
                namespace=call.namespace or default_ns,
                argv=("kubectl", *args),
            )
            found.append(change_of(action))
        if not commands:
            parsed = parse_action(text, default_ns)
            if parsed:
                action = Action(
                    kind="write",
                    verb=parsed["verb"],
                    tool="plan",
                    target=parsed["target"],
                    namespace=parsed["namespace"],
                    params=parsed,
                )
                found.append(change_of(action))
    return found


def covered(change: Change, plan: dict[str, Any]) -> bool:
    """True when ``change`` is exactly one the plan proposed (verb, object, namespace, replicas)."""
    return any(_same(change, planned) for planned in planned_changes(plan))


def _same(a: Change, b: Change) -> bool:
    return (a.verb, a.kind, a.name, a.namespace, a.replicas) == (b.verb, b.kind, b.name, b.namespace, b.replicas)
