"""ASL pieces on their own: choice operators, paths, intrinsics, templates."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from chalicelib.engine import choice, intrinsics, paths, templates
from chalicelib.engine.errors import StatesError

DATA: dict[str, Any] = {
    "s": "memory-high",
    "n": 5,
    "f": 2.5,
    "b": True,
    "z": None,
    "t": "2026-01-01T10:00:00Z",
    "t2": "2026-01-01T11:00:00+01:00",
    "other": {"s": "memory-high", "n": 7, "b": True, "t": "2026-01-02T00:00:00Z"},
    "nodes": {"verify-fix": {"status": "succeeded"}},
}


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ({"Variable": "$.s", "StringEquals": "memory-high"}, True),
        ({"Variable": "$.s", "StringEqualsPath": "$.other.s"}, True),
        ({"Variable": "$.s", "StringLessThan": "n"}, True),
        ({"Variable": "$.s", "StringGreaterThan": "n"}, False),
        ({"Variable": "$.s", "StringLessThanEquals": "memory-high"}, True),
        ({"Variable": "$.s", "StringGreaterThanEqualsPath": "$.other.s"}, True),
        ({"Variable": "$.s", "StringMatches": "memory-*"}, True),
        ({"Variable": "$.s", "StringMatches": "disk*"}, False),
        ({"Variable": "$.n", "StringEquals": "5"}, False),  # wrong type is false, not an error
        ({"Variable": "$.n", "NumericEquals": 5}, True),
        ({"Variable": "$.f", "NumericLessThan": 3}, True),
        ({"Variable": "$.n", "NumericGreaterThanPath": "$.other.n"}, False),
        ({"Variable": "$.n", "NumericLessThanEqualsPath": "$.other.n"}, True),
        ({"Variable": "$.n", "NumericGreaterThanEquals": 5}, True),
        ({"Variable": "$.b", "NumericEquals": 1}, False),
        ({"Variable": "$.b", "BooleanEquals": True}, True),
        ({"Variable": "$.b", "BooleanEqualsPath": "$.other.b"}, True),
        ({"Variable": "$.t", "TimestampEquals": "2026-01-01T10:00:00+00:00"}, True),
        ({"Variable": "$.t", "TimestampEqualsPath": "$.t2"}, True),
        ({"Variable": "$.t", "TimestampLessThanPath": "$.other.t"}, True),
        ({"Variable": "$.t", "TimestampGreaterThan": "2025-12-31T00:00:00Z"}, True),
        ({"Variable": "$.t", "TimestampLessThanEquals": "2026-01-01T10:00:00Z"}, True),
        ({"Variable": "$.t", "TimestampGreaterThanEquals": "2026-01-01T10:00:01Z"}, False),
        ({"Variable": "$.missing", "IsPresent": False}, True),
        ({"Variable": "$.s", "IsPresent": True}, True),
        ({"Variable": "$.z", "IsNull": True}, True),
        ({"Variable": "$.s", "IsString": True}, True),
        ({"Variable": "$.n", "IsNumeric": True}, True),
        ({"Variable": "$.b", "IsNumeric": True}, False),
        ({"Variable": "$.b", "IsBoolean": True}, True),
        ({"Variable": "$.t", "IsTimestamp": True}, True),
        ({"Variable": "$.s", "IsTimestamp": True}, False),
        ({"Variable": "$.nodes['verify-fix'].status", "StringEquals": "succeeded"}, True),
        ({"And": [{"Variable": "$.n", "NumericEquals": 5}, {"Variable": "$.b", "BooleanEquals": False}]}, False),
        ({"Or": [{"Variable": "$.n", "NumericEquals": 4}, {"Variable": "$.b", "BooleanEquals": True}]}, True),
        ({"Not": {"Variable": "$.s", "StringEquals": "disk"}}, True),
    ],
)
def test_choice_operators(rule: dict[str, Any], expected: bool) -> None:
    assert choice.matches(rule, DATA) is expected


def test_string_matches_escaped_star_is_literal() -> None:
    assert choice.matches({"Variable": "$.v", "StringMatches": "a\\*b"}, {"v": "a*b"})
    assert not choice.matches({"Variable": "$.v", "StringMatches": "a\\*b"}, {"v": "axxb"})


def test_missing_variable_is_a_runtime_error() -> None:
    with pytest.raises(StatesError) as info:
        choice.matches({"Variable": "$.nope", "StringEquals": "x"}, DATA)
    assert info.value.error == "States.Runtime"


def test_result_path_dot_and_bracket_forms_write_nested_without_mutating_input() -> None:
    state_input = {"nodes": {"a": 1}}
    out = paths.merge_result("$.nodes['verify-fix']", state_input, {"ok": True})
    assert out == {"nodes": {"a": 1, "verify-fix": {"ok": True}}}
    assert state_input == {"nodes": {"a": 1}}
    assert paths.merge_result("$.nodes.diagnose.result", {}, 3) == {"nodes": {"diagnose": {"result": 3}}}
    assert paths.merge_result("$", {"a": 1}, [1]) == [1]
    assert paths.merge_result(None, {"a": 1}, [1]) == {"a": 1}


def test_paths_read_filters_and_context() -> None:
    data = {"items": [{"n": 1}, {"n": 3}]}
    assert paths.read("$.items[?(@.n > 2)]", data) == [{"n": 3}]
    assert paths.read("$.items[1].n", data) == 3
    assert paths.read("$$.Execution.Name", data, {"Execution": {"Name": "run-1"}}) == "run-1"


def test_intrinsics() -> None:
    data = {"id": "TEST001", "n": 2, "obj": {"a": 1}, "text": '{"k": [1, 2]}'}
    ev = lambda expr: intrinsics.evaluate(expr, data, {"Execution": {"Name": "r"}})  # noqa: E731
    assert ev("States.Format('incident {} ({}) in \\{ns\\}', $.id, $.n)") == "incident TEST001 (2) in {ns}"
    assert ev("States.StringToJson($.text)") == {"k": [1, 2]}
    assert ev("States.JsonToString($.obj)") == '{"a":1}'
    assert ev("States.Array($.id, 'x', 3, States.Format('{}', $$.Execution.Name))") == ["TEST001", "x", 3, "r"]
    assert ev("States.JsonMerge($.obj, States.StringToJson('{\"b\": 2}'), false)") == {"a": 1, "b": 2}
    assert ev("States.Hash($.id, 'SHA-256')") == hashlib.sha256(b"TEST001").hexdigest()
    assert ev("States.ArrayLength(States.Array(1, 2, 3))") == 3


def test_templates_render_dollar_keys_and_leave_the_rest() -> None:
    tpl = {
        "FunctionName": "f",
        "Payload": {"node": {"id": "x"}, "state.$": "$", "name.$": "$$.Execution.Name", "list": [{"v.$": "$.a"}]},
    }
    out = templates.render(tpl, {"a": 1}, {"Execution": {"Name": "r"}})
    assert out == {
        "FunctionName": "f",
        "Payload": {"node": {"id": "x"}, "state": {"a": 1}, "name": "r", "list": [{"v": 1}]},
    }


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        # \{ \} are literal braces; an escaped backslash before {} leaves the placeholder alone.
        ("States.Format('\\{\\} is {}', $.id)", "{} is TEST001"),
        ("States.Format('a\\\\{}', $.id)", "a\\TEST001"),
        ("States.Format('{} \\'q\\'', $.n)", "2 'q'"),
        ("States.Format('{}{}', $.f, $.b)", "2.5true"),
        ("States.ArrayContains(States.Array(1, 2), true)", False),
        ("States.ArrayContains(States.Array(true), 1)", False),
        ("States.ArrayContains(States.Array(1.0), 1)", True),
        ("States.ArrayUnique(States.Array(1, true, 1, 'a', true))", [1, True, "a"]),
        ("States.MathAdd($.n, -3)", -1),
        ("States.ArrayRange(1, 9, 3)", [1, 4, 7]),
        ("States.StringSplit('a.b+c', '.+')", ["a", "b", "c"]),
    ],
)
def test_intrinsic_edge_cases(expr: str, expected: Any) -> None:
    data = {"id": "TEST001", "n": 2, "f": 2.5, "b": True}
    assert intrinsics.evaluate(expr, data, {}) == expected


@pytest.mark.parametrize(
    "expr",
    [
        "States.MathAdd($.s, 1)",
        "States.MathAdd($.b, 1)",
        "States.MathAdd($.f, 1)",
        "States.Hash($.obj, 'SHA-256')",
        "States.Format('{}', $.obj)",
        "States.ArrayRange(0, $.big, 1)",
        "States.ArrayGetItem(States.Array(1), 3)",
        "States.StringToJson($.s)",
        "States.Base64Decode('%%%')",
        "States.Format('{}', $.missing)",
    ],
)
def test_intrinsic_failures_are_states_intrinsic_failure(expr: str) -> None:
    data = {"s": "text", "b": True, "f": 1.5, "obj": {"a": 1}, "big": 5000}
    with pytest.raises(StatesError) as info:
        intrinsics.evaluate(expr, data, {})
    assert info.value.error == "States.IntrinsicFailure"


@pytest.mark.parametrize(
    ("value", "is_timestamp"),
    [
        ("2026-01-01T10:00:00Z", True),
        ("2026-01-01T10:00:00.123+02:00", True),
        ("2026-01-01", False),
        ("2026-01-01T10:00:00", False),
        ("2026-01-01t10:00:00z", False),
        ("2026-01-01T10:00:00+0200", False),
        ("2026-13-01T10:00:00Z", False),
        (1767261600, False),
    ],
)
def test_is_timestamp_takes_rfc3339_only(value: Any, is_timestamp: bool) -> None:
    assert choice.matches({"Variable": "$.t", "IsTimestamp": True}, {"t": value}) is is_timestamp
