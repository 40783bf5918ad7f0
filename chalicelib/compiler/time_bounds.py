"""Time bounds a deployed definition must keep: a function never outlives its Task state.

When a Task state times out, Step Functions moves on (retries, escalates) but the Lambda it
invoked keeps running until its own timeout: an agent could go on changing the cluster after the
run has escalated. So each Task's function timeout must be below the state's ``TimeoutSeconds``.

An HTTP node retries inside its function (``retries`` more tries of ``timeout_seconds``, up to
:data:`MAX_RETRY_WAIT` seconds apart), so its state timeout is derived, not the per-request
timeout: the function's timeout plus :data:`STATE_MARGIN`, and the tries must fit in the
function's timeout. An agent starts no tool call that could outlast its function (the agent
loop's time limits), so a tool whose own timeout is not below the agent function's, less the
loop's reserve, could never be called once deployed. A flow that cannot keep these bounds is
refused, naming the node (and the tool).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ..errors import SpecError
from ..nodes.registry import NODE_KINDS

# The agents' time limits (5 ms) are imported only when a flow has an agent node.

#: Seconds between the function's timeout and its state's: the Lambda reports before the state gives up.
STATE_MARGIN = 10
#: The longest wait between two tries of an HTTP node (a Retry-After is capped to this).
MAX_RETRY_WAIT = 30
#: What a tool may take when its configuration sets no timeout (the tools' own defaults).
TOOL_TIMEOUTS = {"Shell": 60.0, "HTTP": 10.0, "MCP": 30.0}

_PLACEHOLDER_FUNCTIONS = {"${" + kind.placeholder + "}": kind.function for kind in NODE_KINDS}


def _tasks(states: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for name, state in states.items():
        if state.get("Type") == "Task":
            yield name, state
        for branch in state.get("Branches", []):
            yield from _tasks(branch["States"])


def http_budget(config: Mapping[str, Any]) -> float:
    """The longest an HTTP node's function runs: every try times out, every wait is the longest."""
    retries = int(config.get("retries", 2))
    return (retries + 1) * float(config.get("timeout_seconds", 10)) + retries * MAX_RETRY_WAIT


def apply_time_bounds(definition: dict[str, Any], flow: str, lambda_timeouts: Mapping[str, int] | None) -> None:
    """Set HTTP states' timeouts and check every Task against its function's timeout (in place).

    Without ``lambda_timeouts`` (the embedded engine has no Lambda) HTTP states get their tries'
    budget plus the margin, and nothing else is checked.
    """
    problems: list[str] = []
    for name, state in _tasks(definition["States"]):
        function = _PLACEHOLDER_FUNCTIONS.get(str(state.get("Parameters", {}).get("FunctionName", "")))
        if function is None:
            continue
        node = state["Parameters"].get("Payload", {}).get("node") or {}
        label = f"node '{node['id']}'" if node.get("id") else f"state '{name}'"
        limit = lambda_timeouts.get(function) if lambda_timeouts is not None else None
        if node.get("type") == "HTTP":
            budget = http_budget(node.get("config") or {})
            if limit is None:
                state["TimeoutSeconds"] = int(budget) + 1 + STATE_MARGIN
                continue
            if budget >= limit:
                tries = int((node.get("config") or {}).get("retries", 2)) + 1
                problems.append(
                    f"flow {flow}: {label}: {tries} tries of {(node.get('config') or {}).get('timeout_seconds', 10)} s"
                    f" with up to {MAX_RETRY_WAIT} s between them need {budget:g} s, but {function} stops after"
                    f" {limit} s: lower the node's timeout_seconds or retries, or raise {function}'s lambda_timeout"
                )
            state["TimeoutSeconds"] = limit + STATE_MARGIN
        elif limit is not None and node.get("type") == "Agent":
            problems.extend(_agent_problems(flow, label, state, function, limit))
        elif limit is not None and limit >= int(state["TimeoutSeconds"]):
            problems.append(
                f"flow {flow}: {label}: {function} may run {limit} s but the state times out after"
                f" {state['TimeoutSeconds']} s, and the function would go on acting after the flow moved on:"
                f" lower {function}'s lambda_timeout below {state['TimeoutSeconds']} s or raise the node's"
                " timeout_seconds"
            )
    if problems:
        raise SpecError(problems[0], problems)


def _agent_problems(flow: str, label: str, state: dict[str, Any], function: str, limit: int) -> list[str]:
    from ..agents.time_limits import DEFAULT_CALL_BOUND, LAMBDA_RESERVE_SECONDS

    problems: list[str] = []
    if limit >= int(state["TimeoutSeconds"]):
        problems.append(
            f"flow {flow}: {label}: {function} may run {limit} s but the state times out after"
            f" {state['TimeoutSeconds']} s, and the function would go on acting after the flow moved on:"
            f" lower {function}'s lambda_timeout below {state['TimeoutSeconds']} s or raise the node's"
            " timeout_seconds"
        )
    usable = limit - LAMBDA_RESERVE_SECONDS
    for name, agent in (state["Parameters"]["Payload"].get("agents") or {}).items():
        for index, tool in enumerate((agent.get("spec") or {}).get("tools") or []):
            kind = str(tool.get("type", ""))
            took = float(
                (tool.get("config") or {}).get("timeout_seconds") or TOOL_TIMEOUTS.get(kind, DEFAULT_CALL_BOUND)
            )
            if took > usable:
                problems.append(
                    f"flow {flow}: {label}: agent {name}'s {kind} tool (tools[{index}]) may take {took:g} s per call,"
                    f" but {function} stops after {limit} s and keeps {LAMBDA_RESERVE_SECONDS:g} s to record its"
                    f" result, so the agent could never call it: lower the tool's timeout_seconds to"
                    f" {usable:g} or less, or raise {function}'s lambda_timeout"
                )
    return problems
