"""One line per decision of the policy gate."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from .logging import logger


class _Action(Protocol):
    @property
    def argv(self) -> Sequence[str]: ...
    @property
    def verb(self) -> str: ...
    @property
    def tool(self) -> str: ...
    @property
    def kind(self) -> str: ...


class _Verdict(Protocol):
    @property
    def kind(self) -> str: ...
    def describe(self) -> str: ...


def log_decision(decision: str, action: _Action, verdict: _Verdict | None, reason: str) -> None:
    """``policy allowed`` / ``policy refused`` / ``policy needs approval`` / ``policy already
    applied``, with the canonical argv the gate judged (the logger masks any secret in it),
    the change it makes and why."""
    kind = verdict.kind if verdict is not None else action.kind
    logger.info(
        "policy " + decision.replace("_", " "),
        extra={
            "decision": decision,
            "argv": list(action.argv) or [action.verb],
            "tool": action.tool,
            "kind": kind,
            "change": verdict.describe() if verdict is not None and kind != "read" else "",
            "reason": reason,
        },
    )
