"""Look ``${...}`` references up in a live execution state (the runtime side of the resolver)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from ..expr import MISSING, Ref
from ..settings import KUBECONFIG, PAGERDUTY_FROM_EMAIL, SECRET_VARIABLES
from ..spec.references import node_key

#: Environment variables a template may read. Anything else (AWS keys, ...) is never exposed.
READABLE_ENV = frozenset({*SECRET_VARIABLES, PAGERDUTY_FROM_EMAIL, KUBECONFIG})
_ENV_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")


def _walk(value: Any, parts: tuple[str, ...]) -> Any:
    for part in parts:
        if isinstance(value, Mapping) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return MISSING
    return value


def parse_time(text: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (TypeError, ValueError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


class StateScope:
    """Resolves references against ``{event, vars, nodes, flow}`` plus allowed environment.

    ``env`` is None where secrets must not be spliced in (Slack messages, agent prompts): a
    reference to a secret variable then reads as missing rather than leaking the value.
    """

    def __init__(
        self,
        state: Mapping[str, Any],
        *,
        env: Mapping[str, str] | None = None,
        now: datetime | None = None,
        started_at: str | None = None,
    ) -> None:
        self.state = state
        self.env = env
        self.now = now or datetime.now(UTC)
        self.started_at = started_at or str(_walk(state, ("flow", "started_at")) or "")
        self.used_secrets: set[str] = set()

    def lookup(self, ref: Ref) -> Any:
        parts = ref.parts
        head = parts[0]
        if head == "event":
            return _walk(self.state.get("event", {}), parts[1:])
        if head == "flow":
            return self._flow(parts[1:])
        if head == "vars":
            return _walk(self.state.get("vars", {}), parts[1:])
        nodes = self.state.get("nodes", {})
        if isinstance(nodes, Mapping) and node_key(head) in nodes:
            return _walk(nodes[node_key(head)], parts[1:])
        variables = self.state.get("vars", {})
        if len(parts) == 1 and isinstance(variables, Mapping) and head in variables:
            return variables[head]
        if len(parts) == 1 and self.env is not None and head in READABLE_ENV and _ENV_NAME.match(head):
            value = self.env.get(head)
            if value is None:
                return MISSING
            self.used_secrets.add(value)
            return value
        return MISSING

    def _flow(self, parts: tuple[str, ...]) -> Any:
        if parts == ("duration_seconds",):
            started = parse_time(self.started_at)
            return MISSING if started is None else max(0, int((self.now - started).total_seconds()))
        return _walk(self.state.get("flow", {}), parts)


def redact(value: Any, secrets: set[str] | list[str]) -> Any:
    """Replace every secret value inside ``value`` (strings in nested structures) by ``[redacted]``."""
    if isinstance(value, str):
        for secret in secrets:
            if secret and len(secret) >= 4:
                value = value.replace(secret, "[redacted]")
        return value
    if isinstance(value, Mapping):
        return {k: redact(v, secrets) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v, secrets) for v in value]
    return value
