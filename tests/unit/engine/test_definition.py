"""Unsupported ASL is refused when the definition is loaded, naming the state and the field."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.engine.engine import Engine
from chalicelib.engine.errors import DefinitionError
from chalicelib.errors import SpecError
from tests.support.engine_flows import incident_flow, task


def refusal(engine: Engine, definition: dict[str, Any]) -> str:
    with pytest.raises(DefinitionError) as info:
        engine.register_state_machine("bad", definition)
    assert isinstance(info.value, SpecError)
    return str(info.value)


def one(state: dict[str, Any]) -> dict[str, Any]:
    return {"StartAt": "only", "States": {"only": state}}


def test_compiled_shape_is_accepted(engine: Engine) -> None:
    assert engine.register_state_machine("incident", incident_flow()).endswith(":stateMachine:incident")


@pytest.mark.parametrize(
    ("definition", "state", "field"),
    [
        (one({"Type": "Map", "ItemProcessor": {}, "End": True}), "only.ItemProcessor", "States"),
        (
            one(
                {
                    "Type": "Map",
                    "ItemProcessor": {
                        "ProcessorConfig": {"Mode": "DISTRIBUTED"},
                        "StartAt": "a",
                        "States": {"a": {"Type": "Pass", "End": True}},
                    },
                    "End": True,
                }
            ),
            "only",
            "ItemProcessor.ProcessorConfig",
        ),
        (one({"Type": "Map", "Iterator": {"StartAt": "a", "States": {}}, "End": True}), "only.Iterator", "States"),
        (one({**task("x"), "TimeoutSeconds": 10, "HeartbeatSeconds": 10}), "only", "HeartbeatSeconds"),
        (one({**task("x"), "Resource": "arn:aws:states:::sqs:sendMessage"}), "only", "Resource"),
        (one({**task("x"), "ResultPath": "$.a[*]"}), "only", "ResultPath"),
        (one({**task("x"), "InputPath": "$.a[["}), "only", "InputPath"),
        (one({"Type": "Pass", "Parameters": {"x.$": "States.Nope($)"}, "End": True}), "only", "Parameters"),
        (one({"Type": "Pass", "Next": "nowhere"}), "only", "Next"),
        (
            one({"Type": "Choice", "Choices": [{"Variable": "$.a", "StringIsLike": "x", "Next": "only"}]}),
            "only",
            "Choices[0].StringIsLike",
        ),
        (
            one({**task("x"), "Retry": [{"ErrorEquals": ["States.ALL"], "JitterStrategy": "PARTIAL"}]}),
            "only",
            "Retry[0].JitterStrategy",
        ),
        (one({**task("x"), "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "missing"}]}), "only", "Catch[0].Next"),
        (one({"Type": "Wait", "End": True}), "only", "Seconds"),
        (one({"Type": "Wait", "Seconds": 0.5, "End": True}), "only", "Seconds"),
        (one({"Type": "Wait", "Timestamp": "2026-01-01 10:00", "End": True}), "only", "Timestamp"),
        (
            one(
                {
                    **task("x"),
                    "Retry": [{"ErrorEquals": ["States.ALL"]}, {"ErrorEquals": ["Busy"]}],
                }
            ),
            "only",
            "Retry[0].ErrorEquals",
        ),
        (
            {
                "StartAt": "only",
                "States": {
                    "only": {
                        **task("x"),
                        "Catch": [{"ErrorEquals": ["States.ALL", "Busy"], "Next": "end"}],
                    },
                    "end": {"Type": "Succeed"},
                },
            },
            "only",
            "Catch[0].ErrorEquals",
        ),
        (one({**task("x"), "Retry": [{"ErrorEquals": ["Busy"], "BackoffRate": 0.5}]}), "only", "Retry[0].BackoffRate"),
        (
            one({"Type": "Pass", "Parameters": {"m.$": "States.JsonMerge($.a, $.b)"}, "End": True}),
            "only",
            "Parameters",
        ),
        (
            one({"Type": "Pass", "Parameters": {"r.$": "States.ArrayRange(1, 1001, 1)"}, "End": True}),
            "only",
            "Parameters",
        ),
        (
            one({"Type": "Pass", "Parameters": {"f.$": "States.Format('{}', States.Array(1))"}, "End": True}),
            "only",
            "Parameters",
        ),
        (
            one({"Type": "Pass", "Parameters": {"f.$": "States.MathAdd('1', 2)"}, "End": True}),
            "only",
            "Parameters",
        ),
        (
            one({"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericEquals": "5", "Next": "only"}]}),
            "only",
            "Choices[0].NumericEquals",
        ),
        (
            one(
                {
                    "Type": "Choice",
                    "Choices": [{"Not": {"Variable": "$.n", "IsNull": True, "Next": "only"}, "Next": "only"}],
                }
            ),
            "only",
            "Choices[0].Not.Next",
        ),
        (
            {"StartAt": "a", "States": {"a": {"Type": "Succeed"}, "orphan": {"Type": "Succeed"}}},
            "orphan",
            None,
        ),
        (one({"Type": "Fail", "Error": "E", "ErrorPath": "$.e"}), "only", "ErrorPath"),
        (
            one(
                {
                    "Type": "Parallel",
                    "End": True,
                    "Branches": [
                        {"StartAt": "inner", "States": {"inner": {"Type": "Pass", "End": True, "Assign": {}}}}
                    ],
                }
            ),
            "only.Branches[0].inner",
            "Assign",
        ),
    ],
)
def test_refused_with_state_and_field(
    engine: Engine, definition: dict[str, Any], state: str, field: str | None
) -> None:
    message = refusal(engine, definition)
    assert f"state {state!r}" in message
    if field is not None:
        assert f"field {field!r}" in message


def test_every_problem_is_reported_at_once(engine: Engine) -> None:
    definition = {
        "StartAt": "a",
        "QueryLanguage": "JSONata",
        "States": {"a": {"Type": "Map", "End": True}, "b": {"Type": "Pass", "End": True, "Credentials": {}}},
    }
    with pytest.raises(DefinitionError) as info:
        engine.register_state_machine("bad", definition)
    assert {(s, f) for s, f, _ in info.value.findings} == {
        (None, "QueryLanguage"),
        ("a", "ItemProcessor"),
        ("b", "Credentials"),
    }
