"""What an approved plan allows: the actions it proposes, read back into :class:`Change` form.

The plan's kubectl commands are read by the same strict parser as the commands the agent runs,
so an approval covers exactly the changes a human read, object by object, with their arguments.
A command in the plan that the parser refuses covers nothing.
"""

from __future__ import annotations

import re
import shlex
from typing import Any

from chalicelib.errors import ToolRefused
from chalicelib.policy.classify import Change, changes_of_command, operation_changes
from chalicelib.policy.kubectl_argv import parse

# The builtin remediation parser (8 ms) is imported only for a plan that has actions to read.

_KUBECTL_RE = re.compile(r"kubectl\s+([^\n`()]+)")
#: The offline model's prose verbs, as Kubernetes tool operations.
_PROSE_OPERATIONS = {
    "rollout restart": "rollout_restart",
    "rollout undo": "rollout_undo",
    "scale": "scale",
    "delete pod": "delete_pod",
    "patch resources": "patch_resources",
}


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
                found.extend(changes_of_command(parse(["kubectl", *shlex.split(command)], default_ns)))
            except (ValueError, ToolRefused):
                continue
        if not commands:
            parsed = parse_action(text, default_ns)
            operation = _PROSE_OPERATIONS.get(str((parsed or {}).get("verb")))
            if parsed and operation:
                kind, _, name = str(parsed.get("target") or "").partition("/")
                found.extend(operation_changes({**parsed, "operation": operation, "kind": kind, "name": name}))
    return found


def covered(change: Change, plan: dict[str, Any]) -> bool:
    """True when ``change`` is exactly one the plan allows (verb, object, namespace, arguments).

    A plan recorded with its ``changes`` (what the approval request showed the approver, under
    the plan's hash) allows exactly those; an older plan, what its proposals parse to.
    """
    shown = plan.get("changes")
    if isinstance(shown, list):
        return change.describe() in {str(c) for c in shown}
    return any(change == planned for planned in planned_changes(plan))
