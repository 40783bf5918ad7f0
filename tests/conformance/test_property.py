"""Random valid definitions always end: every execution reaches a terminal status, its history
ends with the event of that status, and running it again gives the same result.

Transitions only go forward (a valid definition may loop for ever on Step Functions too), so
termination is the engine's to guarantee: whatever the states, paths, intrinsics, retries,
catches, branches, iterations and mocked task failures, nothing may stay RUNNING.
"""

from __future__ import annotations

import itertools
import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.engine import mocks as mocks_mod
from chalicelib.engine.states_run import RunResult, run_definition

TERMINAL = {"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"}
FINAL_EVENT = {
    "SUCCEEDED": "ExecutionSucceeded",
    "FAILED": "ExecutionFailed",
    "TIMED_OUT": "ExecutionTimedOut",
    "ABORTED": "ExecutionAborted",
}
ERRORS = ["Busy", "Broken", "States.Timeout", "States.TaskFailed"]
PATHS = ["$", "$.a", "$.b", "$.missing", None]
RESULT_PATHS = ["$", "$.r", "$.a", "$.deep.er", None]
EXPRESSIONS = [
    "$.a",
    "$.items[*]",
    "States.Format('{}-{}', $.a, $.b)",
    "States.MathAdd($.a, 1)",
    "States.ArrayLength($.items)",
    "States.ArrayContains($.items, $.a)",
    "States.JsonToString($)",
    "States.Hash($.b, 'MD5')",
    "States.StringToJson($.b)",
]
INPUTS = st.fixed_dictionaries(
    {"a": st.integers(-3, 3), "b": st.sampled_from(["x", "1", "{}", ""])},
    optional={"items": st.lists(st.integers(0, 3), max_size=4), "deep": st.just({})},
)


class Namer:
    def __init__(self) -> None:
        self.counter = itertools.count()

    def __call__(self) -> str:
        return f"s{next(self.counter)}"


@st.composite
def outcome(draw: st.DrawFn) -> dict[str, Any]:
    if draw(st.booleans()):
        return {"Return": draw(st.sampled_from([{"v": 1}, [1, 2], "text", 3, None]))}
    return {"Throw": {"Error": draw(st.sampled_from(ERRORS)), "Cause": "mocked"}}


@st.composite
def machine(draw: st.DrawFn, names: Namer, mocks: dict[str, Any], depth: int, nested: bool) -> dict[str, Any]:
    """A forward-only state machine; unreachable states are dropped so the loader accepts it."""
    order = [names() for _ in range(draw(st.integers(1, 5)))]
    states: dict[str, Any] = {}
    for i, name in enumerate(order):
        later = order[i + 1 :]
        kinds = ["Pass", "Choice", "Wait", "Succeed", "Fail", "Task"] + (["Parallel", "Map"] if depth < 2 else [])
        kind = draw(st.sampled_from(kinds if later else [k for k in kinds if k != "Choice"]))
        state: dict[str, Any] = {"Type": kind}
        if kind == "Choice":
            rules = [
                {
                    "Variable": "$.a",
                    "NumericGreaterThan": draw(st.integers(-3, 3)),
                    "Next": draw(st.sampled_from(later)),
                },
                {
                    "Variable": draw(st.sampled_from(["$.b", "$.missing"])),
                    "StringEquals": "x",
                    "Next": draw(st.sampled_from(later)),
                },
                {"Not": {"Variable": "$.items", "IsPresent": True}, "Next": draw(st.sampled_from(later))},
            ]
            state["Choices"] = draw(st.lists(st.sampled_from(rules), min_size=1, max_size=3))
            if draw(st.booleans()):
                state["Default"] = draw(st.sampled_from(later))
        elif kind == "Fail":
            state.update(Error=draw(st.sampled_from(ERRORS)), Cause="generated")
        elif kind != "Succeed":
            if kind == "Pass" and draw(st.booleans()):
                state["Parameters"] = {"v.$": draw(st.sampled_from(EXPRESSIONS)), "k": 1}
            if kind == "Wait":
                state.update(
                    draw(
                        st.sampled_from([{"Seconds": 5}, {"SecondsPath": "$.a"}, {"Timestamp": "2026-01-01T00:00:00Z"}])
                    )
                )
            if kind == "Task":
                state.update(
                    Resource="arn:aws:states:::lambda:invoke", Parameters={"FunctionName": "f", "Payload.$": "$"}
                )
                # Inside branches and iterations the invocation order is not fixed: one answer for all.
                answers = [draw(outcome())] if nested else draw(st.lists(outcome(), min_size=1, max_size=4))
                mocks[name] = {str(n): a for n, a in enumerate(answers[:-1])} | {f"{len(answers) - 1}-999": answers[-1]}
            if kind == "Parallel":
                state["Branches"] = [
                    draw(machine(names, mocks, depth + 1, True)) for _ in range(draw(st.integers(1, 3)))
                ]
            if kind == "Map":
                state.update(ItemsPath="$.items", ItemProcessor=draw(machine(names, mocks, depth + 1, True)))
                state["MaxConcurrency"] = draw(st.integers(0, 2))
                if draw(st.booleans()):
                    state["ToleratedFailureCount"] = draw(st.integers(0, 2))
            state["InputPath"] = draw(st.sampled_from(PATHS))
            if kind != "Wait":
                state["ResultPath"] = draw(st.sampled_from(RESULT_PATHS))
            state["OutputPath"] = draw(st.sampled_from(PATHS))
            if kind in ("Task", "Parallel", "Map"):
                if draw(st.booleans()):
                    state["Retry"] = [
                        {
                            "ErrorEquals": [draw(st.sampled_from(ERRORS))],
                            "MaxAttempts": draw(st.integers(0, 3)),
                            "IntervalSeconds": 1,
                        }
                    ]
                if later and draw(st.booleans()):
                    state["Catch"] = [
                        {"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": draw(st.sampled_from(later))}
                    ]
            if later and draw(st.booleans()):
                state["Next"] = draw(st.sampled_from(later))
            else:
                state["End"] = True
        states[name] = state
    reachable, todo = set(), [order[0]]
    while todo:
        name = todo.pop()
        if name in reachable:
            continue
        reachable.add(name)
        s = states[name]
        todo += [t for t in (s.get("Next"), s.get("Default")) if t]
        todo += [r["Next"] for r in s.get("Choices", []) + s.get("Catch", [])]
    return {"StartAt": order[0], "States": {n: s for n, s in states.items() if n in reachable}}


@st.composite
def scenario(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any], Any]:
    mocks: dict[str, Any] = {}
    definition = draw(machine(Namer(), mocks, 0, False))
    if draw(st.booleans()):
        definition["TimeoutSeconds"] = draw(st.integers(1, 20))
    return definition, mocks, draw(INPUTS)


def execute(definition: dict[str, Any], mocked: dict[str, Any], data: Any) -> RunResult:
    config = {
        "StateMachines": {"Random": {"TestCases": {"t": {s: f"{s}Mock" for s in mocked}}}},
        "MockedResponses": {f"{s}Mock": body for s, body in mocked.items()},
    }
    return run_definition(definition, data, machine="Random", mocks=mocks_mod.parse(config, "Random", "t"))


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario())
def test_every_execution_ends_and_replays_to_the_same_result(case: tuple[dict[str, Any], dict[str, Any], Any]) -> None:
    definition, mocked, data = case
    first = execute(definition, mocked, data)

    assert first.status in TERMINAL
    last = first.history[-1]
    assert last["type"] == FINAL_EVENT[first.status]
    details = last.get(last["type"][0].lower() + last["type"][1:] + "EventDetails", {})
    if first.status == "SUCCEEDED":
        assert json.loads(details["output"]) == first.output
    else:
        assert (details.get("error"), details.get("cause")) == (first.error, first.cause)
    if first.error == "States.Runtime":
        assert "internal error" not in (first.cause or ""), first.cause

    if "Branches" in json.dumps(definition) or "ItemProcessor" in json.dumps(definition):
        return  # concurrent branches may fail in either order, on Step Functions too
    again = execute(definition, mocked, data)
    assert (again.status, again.output, again.error, again.cause) == (
        first.status,
        first.output,
        first.error,
        first.cause,
    )
    assert again.states == first.states
