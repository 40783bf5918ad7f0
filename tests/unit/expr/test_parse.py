"""Parsing conditions and ${...} contents: trees, operators, precedence, error positions."""

from __future__ import annotations

import pytest

from chalicelib.errors import ExpressionError
from chalicelib.expr import (
    MAX_DEPTH,
    And,
    Compare,
    Literal,
    Not,
    Or,
    Ref,
    parse_condition,
    parse_template,
    unparse,
)


def ref(dotted: str, default: str | None = None) -> Ref:
    return Ref(tuple(dotted.split(".")), default)


@pytest.mark.parametrize("op", ["==", "!=", "<", "<=", ">", ">="])
def test_every_comparison_operator(op: str) -> None:
    assert parse_condition(f"a {op} 1").expr == Compare(op, ref("a"), Literal(1))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('"critical"', "critical"),
        ("'single'", "single"),
        (r'"say \"hi\"\n"', 'say "hi"\n'),
        (r"'it\'s'", "it's"),
        (r'"\u00e9\t\\"', "é\t\\"),
        ("42", 42),
        ("-7", -7),
        ("3.5", 3.5),
        ("-0.25", -0.25),
        ("1e3", 1000.0),
        ("true", True),
        ("FALSE", False),
        ("Null", None),
    ],
)
def test_literals(text: str, expected: object) -> None:
    expr = parse_condition(text).expr
    assert isinstance(expr, Literal)
    assert expr.value == expected
    assert type(expr.value) is type(expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a.b-c.d", ("a", "b-c", "d")),
        ("verify-fix.output", ("verify-fix", "output")),
        ("items.0.name", ("items", "0", "name")),
        ("diagnose.output.severity", ("diagnose", "output", "severity")),
        ("_private", ("_private",)),
        ("android", ("android",)),  # starts with a keyword but is not one
        ("and.x", ("and", "x")),  # a keyword only when it stands alone
    ],
)
def test_bare_paths_are_references(text: str, expected: tuple[str, ...]) -> None:
    assert parse_condition(text).expr == Ref(expected)


@pytest.mark.parametrize("spelling", ["AND", "and", "And", "&&"])
def test_and_spellings(spelling: str) -> None:
    assert parse_condition(f"a {spelling} b").expr == And((ref("a"), ref("b")))


@pytest.mark.parametrize("spelling", ["OR", "or", "Or", "||"])
def test_or_spellings(spelling: str) -> None:
    assert parse_condition(f"a {spelling} b").expr == Or((ref("a"), ref("b")))


@pytest.mark.parametrize("text", ["NOT a", "not a", "!a", "! a"])
def test_not_spellings(text: str) -> None:
    assert parse_condition(text).expr == Not(ref("a"))


def test_and_binds_tighter_than_or_and_not_tighter_than_and() -> None:
    expr = parse_condition("NOT a == 1 AND b OR c").expr
    assert expr == Or((And((Not(Compare("==", ref("a"), Literal(1))), ref("b"))), ref("c")))


def test_parentheses_override_precedence() -> None:
    expr = parse_condition("a AND (b OR c)").expr
    assert expr == And((ref("a"), Or((ref("b"), ref("c")))))


def test_chains_of_the_same_operator_are_flattened() -> None:
    assert parse_condition("a || b || c").expr == Or((ref("a"), ref("b"), ref("c")))


def test_interpolation_inside_a_condition() -> None:
    expr = parse_condition('${diagnose.output.severity} == "critical"').expr
    assert expr == Compare("==", ref("diagnose.output.severity"), Literal("critical"))


def test_interpolation_with_default_inside_a_condition() -> None:
    expr = parse_condition('${ns:-default} == "default"').expr
    assert expr == Compare("==", ref("ns", "default"), Literal("default"))


def test_no_spaces_needed_around_operators() -> None:
    assert parse_condition('a=="x"&&!b').expr == And((Compare("==", ref("a"), Literal("x")), Not(ref("b"))))


def test_yaml_booleans_are_conditions() -> None:
    assert parse_condition(True).expr == Literal(True)
    assert parse_condition(False).expr == Literal(False)


@pytest.mark.parametrize(
    "text",
    [
        'NOT (a == "x" OR b != 2) AND c >= -1.5',
        "${x:-some default} == 'y'",
        "(a == b) == true",
        "a.0.b-c < 'z'",
    ],
)
def test_unparse_parses_back_to_the_same_tree(text: str) -> None:
    expr = parse_condition(text).expr
    assert parse_condition(unparse(expr)).expr == expr


def error_of(text: str) -> ExpressionError:
    with pytest.raises(ExpressionError) as caught:
        parse_condition(text)
    assert caught.value.text == text
    return caught.value


@pytest.mark.parametrize(
    ("text", "position", "fragment"),
    [
        ('a == "critical', 5, "unterminated string"),
        ("a == 'x", 5, "unterminated string"),
        ("(a == 1", 0, "unclosed '('"),
        ("((a == 1)", 0, "unclosed '('"),
        ("a == 1)", 6, "unbalanced ')'"),
        ("a ==", 4, "value was expected"),
        ("a AND", 5, "value was expected"),
        ("OR b", 0, "expected a value"),
        ("NOT", 3, "value was expected"),
        ("a == == b", 5, "expected a value"),
        ("a = 1", 2, "use '=='"),
        ("a b", 2, "unexpected 'b'"),
        ("a < b < c", 6, "cannot be chained"),
        ("a.", 1, "malformed reference"),
        ("a..b", 1, "malformed reference"),
        ("node-", 4, "malformed reference"),
        ("12abc", 0, "malformed number"),
        ("a == #", 5, "unexpected character"),
        (r'"bad \q escape"', 5, "unknown escape"),
        ("${}", 0, "empty '${}'"),
        ("${a", 0, "unterminated '${'"),
        ("${a ${b}}", 4, "cannot be nested"),
        ("", 0, "empty condition"),
        ("   ", 0, "empty condition"),
        ("()", 1, "expected a value"),
    ],
)
def test_malformed_conditions_report_where(text: str, position: int, fragment: str) -> None:
    error = error_of(text)
    assert error.position == position
    assert fragment in error.message
    if text:
        assert f"position {position}" in str(error)


def test_error_positions_inside_a_template_are_absolute() -> None:
    text = "Incident ${INCIDENT_TITLE} severity ${diagnose.output.severity == }"
    with pytest.raises(ExpressionError) as caught:
        parse_template(text)
    assert caught.value.position == text.index("}", text.index("severity =="))


def test_nesting_is_limited_with_an_expression_error() -> None:
    parse_condition("(" * MAX_DEPTH + "a" + ")" * MAX_DEPTH)
    too_deep = "(" * (MAX_DEPTH + 1) + "a" + ")" * (MAX_DEPTH + 1)
    assert error_of(too_deep).position == MAX_DEPTH
    assert error_of("NOT " * 5000 + "a").message.startswith("expression nested deeper")
    assert "nested deeper" in error_of("(" * 100_000).message


def test_huge_integer_is_an_expression_error_not_a_value_error() -> None:
    assert "too long" in error_of("a == " + "9" * 5000).message


def test_non_string_condition_is_an_expression_error() -> None:
    with pytest.raises(ExpressionError):
        parse_condition(3)  # type: ignore[arg-type]
