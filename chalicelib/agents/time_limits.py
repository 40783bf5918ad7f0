"""How long the agent may still act, and how long its next tool call may take.

A deployed agent runs inside a Lambda function whose timeout is below its Task state's: when the
function is killed mid-call, a change may be half made and nothing records it. So the loop does
not start a tool call that could outlast the time left under any limit (the agent's own budget,
which is the step's ``timeout_seconds``, and the function's remaining time from the Lambda
context): it stops there and says why, and the step fails on the flow's error path.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol, TypeVar

from chalicelib.agents.types import Action

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

T = TypeVar("T", bound="DataclassInstance")

#: A tool whose configuration sets no timeout is assumed to take up to this long (seconds).
DEFAULT_CALL_BOUND = 30.0
#: Seconds kept back from the function's remaining time: the step records its result and
#: watches the changes it made after the conversation ends.
LAMBDA_RESERVE_SECONDS = 5.0


class TimeLimit(NamedTuple):
    """One limit on the time left: what sets it (in words) and the seconds left under it now."""

    what: str
    seconds_left: Callable[[], float]


class LambdaContext(Protocol):
    def get_remaining_time_in_millis(self) -> int: ...


def lambda_limit(context: LambdaContext, reserve_seconds: float = LAMBDA_RESERVE_SECONDS) -> TimeLimit:
    """The Lambda function's timeout, less what the step needs after the conversation."""
    return TimeLimit(
        "the function's timeout", lambda: context.get_remaining_time_in_millis() / 1000.0 - reserve_seconds
    )


def with_lambda_context(deps: T, context: LambdaContext) -> T:
    """``deps`` (a node's dependencies) whose agents also keep within the Lambda invocation's time."""
    options = dict(getattr(deps, "agent_options", None) or {})
    options["time_limits"] = (*options.get("time_limits", ()), lambda_limit(context))
    return dataclasses.replace(deps, agent_options=options)


def call_bound(tool: Any, action: Action) -> float:
    """The longest the call may take: the tool's own timeout, or the wait the call asks for."""
    configured = getattr(getattr(tool, "config", None), "timeout_seconds", None)
    bound = float(configured) if configured else DEFAULT_CALL_BOUND
    wait = action.params.get("timeout_seconds")
    if isinstance(wait, int | float) and not isinstance(wait, bool):
        bound = max(bound, float(wait))
    return bound


def tightest(limits: list[TimeLimit]) -> tuple[float, str] | None:
    """The least time left under ``limits`` and what sets it, or ``None`` without limits."""
    if not limits:
        return None
    left, what = min((limit.seconds_left(), limit.what) for limit in limits)
    return left, what
