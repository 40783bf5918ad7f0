"""Compile an ``AgentFlow`` into an Amazon States Language definition (JSONPath).

A pure function: no boto3, no clock, no environment. The same definition runs on AWS Step
Functions and on the embedded engine.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ..spec.models import AgentFlowResource, AgentResource
from .builder import Builder
from .tasks import FUNCTION_PLACEHOLDERS, LAMBDA_INVOKE, LAMBDA_INVOKE_WAIT
from .time_bounds import apply_time_bounds


def compile_flow(
    flow: AgentFlowResource, agents: dict[str, AgentResource], lambda_timeouts: Mapping[str, int] | None = None
) -> dict[str, Any]:
    """The ASL definition of ``flow`` (validated beforehand by ``chalicelib.spec``).

    ``lambda_timeouts`` (function short name -> seconds, from the stage's configuration) makes
    it the deployed definition: every Task state outlasts its function, or a
    :class:`~chalicelib.errors.SpecError` names the node that cannot (see ``time_bounds``).
    """
    built = Builder(flow, agents).build()
    definition: dict[str, Any] = {
        "Comment": f"AOF flow '{flow.name}' (compiled by aofctl; edit the YAML, not this)",
        "QueryLanguage": "JSONPath",
        "StartAt": built["start"],
        "States": _in_reading_order(built["start"], built["states"]),
    }
    if flow.spec.rate_limit is not None:
        definition["TimeoutSeconds"] = flow.spec.rate_limit.timeout_seconds
    apply_time_bounds(definition, flow.name, lambda_timeouts)
    return definition


def _in_reading_order(start: str, states: dict[str, Any]) -> dict[str, Any]:
    """States in the order a reader follows them from ``StartAt`` (depth first), for review."""
    ordered: dict[str, Any] = {}
    stack = [start]
    while stack:
        name = stack.pop()
        if name in ordered or name not in states:
            continue
        state = states[name]
        if state.get("Type") == "Parallel":
            for branch in state["Branches"]:
                branch["States"] = _in_reading_order(branch["StartAt"], branch["States"])
        ordered[name] = state
        targets = [c["Next"] for c in state.get("Choices", [])]
        targets += [state[k] for k in ("Default", "Next") if k in state]
        targets += [c["Next"] for c in state.get("Catch", [])]
        stack.extend(reversed(targets))
    for name, state in states.items():
        ordered.setdefault(name, state)
    return ordered


def substitute_arns(definition: dict[str, Any], arns: dict[str, str]) -> dict[str, Any]:
    """Fill ``${...FunctionArn}`` placeholders (what CloudFormation DefinitionSubstitutions does)."""
    text = json.dumps(definition)
    for key, arn in arns.items():
        text = text.replace("${" + key + "}", arn)
    result: dict[str, Any] = json.loads(text)
    return result


__all__ = ["FUNCTION_PLACEHOLDERS", "LAMBDA_INVOKE", "LAMBDA_INVOKE_WAIT", "compile_flow", "substitute_arns"]
