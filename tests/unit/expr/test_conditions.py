"""Evaluating conditions: typed comparisons and fail-closed three-valued logic."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, ClassVar

import pytest

from chalicelib.expr import MISSING, MappingScope, Ref, Unknown, evaluate_expr, parse_condition


def decide(text: str | bool, **data: Any) -> tuple[bool, str]:
    result = parse_condition(text).evaluate(MappingScope(data))
    return result.value, result.truth


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("x == 1", True),
        ("x == 1.0", True),  # int and float compare as numbers
        ("x != 2", True),
        ("x < 2", True),
        ("x <= 1", True),
        ("x > 0.5", True),
        ("x >= 1", True),
        ("x > 1", False),
        ("x == -1", False),
    ],
)
def test_numeric_comparisons(text: str, expected: bool) -> None:
    assert decide(text, x=1) == (expected, "true" if expected else "false")


def test_decimal_from_dynamodb_is_a_number() -> None:
    assert decide("x > 2.5", x=Decimal("3")) == (True, "true")
    assert decide("x == 3", x=Decimal("3")) == (True, "true")


@pytest.mark.parametrize(
    ("text", "expected"),
    [('s < "b"', True), ('s >= "a"', True), ('s > "ab"', False), ('s == "a"', True), ("s == 'a'", True)],
)
def test_strings_order_lexicographically(text: str, expected: bool) -> None:
    assert decide(text, s="a")[0] is expected


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ('x == "1"', 1),  # no string/number coercion
        ("x == 1", "1"),
        ("x == 1", True),  # bool is not a number
        ("x == true", 1),
        ("x == true", "true"),  # a string "true" is not the boolean
        ("x == null", ""),
        ("x == 0", None),
    ],
)
def test_equality_between_different_types_is_false(text: str, value: Any) -> None:
    assert decide(text, x=value) == (False, "false")
    assert decide(text.replace("==", "!="), x=value) == (True, "true")


@pytest.mark.parametrize(
    ("text", "value"),
    [('x < "2"', 1), ("x < 2", "1"), ("x > 0", True), ("x < 1", None), ("x < 1", [0]), ("x > x", {"a": 1})],
)
def test_ordering_mixed_or_unorderable_types_is_unknown(text: str, value: Any) -> None:
    result = parse_condition(text).evaluate(MappingScope({"x": value}))
    assert (result.value, result.truth) == (False, "unknown")
    assert result.reason is not None and "cannot order" in result.reason


def test_null_equals_null_and_structures_compare_strictly() -> None:
    assert decide("x == null", x=None) == (True, "true")
    assert decide("x == y", x={"a": [1, 2]}, y={"a": [1.0, 2]})[0] is True
    assert decide("x == y", x=[1], y=[True])[0] is False


def test_missing_operand_is_unknown_and_false_with_reason() -> None:
    result = parse_condition('${diagnose.output.severity} == "critical"').evaluate(MappingScope({}))
    assert (result.value, result.truth) == (False, "unknown")
    assert result.reason == "diagnose.output.severity is missing"


def test_missing_is_not_null() -> None:
    assert decide("x == null") == (False, "unknown")
    assert decide("x != null") == (False, "unknown")


@pytest.mark.parametrize(
    ("text", "truth"),
    [
        ("true OR missing == 1", "true"),
        ("missing == 1 OR true", "true"),
        ("false OR missing == 1", "unknown"),
        ("false AND missing == 1", "false"),
        ("missing == 1 AND false", "false"),
        ("true AND missing == 1", "unknown"),
        ("NOT missing == 1", "unknown"),
        ("NOT (missing == 1 AND false)", "true"),
        ("NOT NOT missing == 1", "unknown"),
        ("missing == 1 OR missing != 1", "unknown"),  # no excluded middle for unknowns
    ],
)
def test_kleene_logic_with_missing_values(text: str, truth: str) -> None:
    result = parse_condition(text).evaluate(MappingScope({}))
    assert result.truth == truth
    assert result.value is (truth == "true")
    if truth == "unknown":
        assert result.reason is not None and "missing is missing" in result.reason


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("true AND true", True),
        ("true AND false", False),
        ("false OR true", True),
        ("false OR false", False),
        ("NOT false", True),
        ("!true", False),
        ("true && !false || false", True),
    ],
)
def test_boolean_operators_on_known_values(text: str, expected: bool) -> None:
    assert decide(text)[0] is expected


def test_bare_true_and_false() -> None:
    assert decide("true") == (True, "true")
    assert decide("false") == (False, "false")
    assert decide(True) == (True, "true")
    assert decide(False) == (False, "false")


@pytest.mark.parametrize(
    ("value", "outcome"),
    [(True, (True, "true")), (False, (False, "false")), ("true", (False, "unknown")), (1, (False, "unknown"))],
)
def test_bare_reference_is_true_only_for_boolean_true(value: Any, outcome: tuple[bool, str]) -> None:
    assert decide("APPROVED", APPROVED=value) == outcome


def test_non_boolean_in_logic_is_unknown_with_reason() -> None:
    result = parse_condition("x AND true").evaluate(MappingScope({"x": "yes"}))
    assert result.truth == "unknown"
    assert result.reason == 'x is "yes", not a boolean'


def test_false_result_explains_the_values_it_saw() -> None:
    result = parse_condition('${diagnose.output.severity} == "critical"').evaluate(
        MappingScope({"diagnose": {"output": {"severity": "high"}}})
    )
    assert result.truth == "false"
    assert result.reason == 'diagnose.output.severity == "critical" is false (where diagnose.output.severity = "high")'


def test_default_applies_in_conditions() -> None:
    assert decide('${ns:-default} == "default"') == (True, "true")
    assert decide('${ns:-default} == "default"', ns="") == (True, "true")
    assert decide('${ns:-default} == "default"', ns=None) == (True, "true")
    assert decide('${ns:-default} == "default"', ns="prod") == (False, "false")


def test_hyphenated_ids_nested_paths_and_list_indexes() -> None:
    data = {"verify-fix": {"output": {"checks": [{"ok": False}, {"ok": True}]}}}
    assert decide("verify-fix.output.checks.1.ok == true", **data) == (True, "true")
    assert decide("verify-fix.output.checks.0.ok == true", **data) == (False, "false")
    assert decide("verify-fix.output.checks.2.ok == true", **data)[1] == "unknown"
    assert decide("verify-fix.output.checks.x == true", **data)[1] == "unknown"


class TestTutorialConditions:
    """The tutorial's own conditions, as written in incident-response-flow.yaml."""

    diagnosis: ClassVar[dict[str, Any]] = {"diagnose": {"output": {"severity": "critical", "requires_approval": False}}}

    def test_check_severity_expressions(self) -> None:
        assert decide('${diagnose.output.severity} == "critical"', **self.diagnosis)[0] is True
        assert decide("${diagnose.output.requires_approval} == true", **self.diagnosis)[0] is False

    def test_approval_routing(self) -> None:
        critical = {"is_critical": True, "needs_approval": False}
        assert decide("is_critical == true OR needs_approval == true", **critical)[0] is True
        assert decide("is_critical == false AND needs_approval == false", **critical)[0] is False
        routine = {"is_critical": False, "needs_approval": False}
        assert decide("is_critical == true OR needs_approval == true", **routine)[0] is False
        assert decide("is_critical == false AND needs_approval == false", **routine)[0] is True

    def test_remediation_gates(self) -> None:
        assert decide("APPROVED == true", APPROVED=True)[0] is True
        assert decide('reaction == "white_check_mark"', reaction="white_check_mark")[0] is True
        assert decide('reaction == "white_check_mark"', reaction="x")[0] is False
        assert decide('reaction == "white_check_mark"')[1] == "unknown"

    def test_remediation_failed(self) -> None:
        text = '${remediate.output.result} != "success"'
        assert decide(text, remediate={"output": {"result": "failed"}})[0] is True
        assert decide(text, remediate={"output": {"result": "success"}})[0] is False
        # A remediation that produced no result does not silently count as failed or succeeded.
        assert decide(text, remediate={"output": {}}) == (False, "unknown")


def test_evaluate_expr_returns_values_and_unknowns() -> None:
    scope = MappingScope({"a": {"b": [10, 20]}})
    assert evaluate_expr(parse_condition("a.b.1").expr, scope) == 20
    assert evaluate_expr(parse_condition("a.b.1 > 15").expr, scope) is True
    assert evaluate_expr(parse_condition("a.c").expr, scope) == Unknown("a.c is missing")


def test_mapping_scope_returns_missing_for_absent_paths() -> None:
    scope = MappingScope({"a": {"b": "text", "n": None}, "l": [1]})
    assert scope.lookup(Ref(("a", "b", "c"))) is MISSING
    assert scope.lookup(Ref(("l", "5"))) is MISSING
    assert scope.lookup(Ref(("a", "n"))) is None
    assert scope.lookup(Ref(("a",))) == {"b": "text", "n": None}
