"""The seam where the safety policy plugs in: every acting tool call passes through a gate.

The runtime builds an :class:`~chalicelib.agents.types.Action` for each tool call before anything
runs and calls ``gate.check(action)``. A gate refuses by raising
:class:`chalicelib.errors.PolicyDenied`; the runtime turns that into an error result for the model
(the loop goes on) and records the refusal. A gate may also answer the call itself by returning a
``ToolOutcome`` (the change was already made by an earlier attempt of the step): the tool does not
run and the model gets that outcome. A gate that is also an :class:`OutcomeRecorder` is told what
each call it let through did.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from chalicelib.agents.types import Action, ToolOutcome
from chalicelib.errors import PolicyDenied


@runtime_checkable
class ToolGate(Protocol):
    def check(self, action: Action) -> ToolOutcome | None:
        """Return ``None`` to allow ``action``; raise ``PolicyDenied`` to refuse it; return an
        outcome to answer the call without running the tool."""


@runtime_checkable
class OutcomeRecorder(Protocol):
    def record_outcome(self, action: Action, outcome: ToolOutcome) -> None:
        """What the tool did with an ``action`` the gate allowed (called after it ran)."""


class DefaultGate:
    """Reads and writes pass; destructive actions need a real policy (and usually a human)."""

    def check(self, action: Action) -> None:
        if action.kind == "destructive":
            raise PolicyDenied(
                f"destructive action {action.verb!r} on {action.target or '?'} refused by the default gate",
                verb=action.verb,
                target=action.target,
                namespace=action.namespace,
            )


class AllowAllGate:
    """For tests and for callers whose policy already approved the exact plan."""

    def check(self, action: Action) -> None:
        return None


class ReadOnlyGate:
    """Only reads pass (a diagnostic agent needs nothing else)."""

    def check(self, action: Action) -> None:
        if action.kind != "read":
            raise PolicyDenied(f"{action.kind} action {action.verb!r} refused: read-only run", verb=action.verb)
