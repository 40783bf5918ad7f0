"""Property tests: parsing raises only ExpressionError; evaluating what parsed never raises."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.errors import ExpressionError
from chalicelib.expr import MappingScope, parse_condition, parse_template, render_structure, unparse

# Bounded so the whole module runs in a few seconds.
FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

TOKENS = [
    "${", "}", "$", "$$", "(", ")", "==", "!=", "<", "<=", ">", ">=", "=", "!", "&&", "||",
    "AND", "or", "Not", "true", "FALSE", "null", ":-", "-", ".", "0", "1.5", "-3", "1e9",
    '"', "'", '"x"', "'y'", "\\", '"\\n"', "a", "b.c", "verify-fix.output", "x.0", "a.", "..",
    " ", "\n", "\t", "\x00", "é", "٣", "${a}", "${a:-d}", "${a == 1}", "9" * 30,
]  # fmt: skip

grammar_text = st.lists(st.sampled_from(TOKENS), max_size=25).map("".join)
spaced_text = st.lists(st.sampled_from(TOKENS), max_size=25).map(" ".join)
any_text = st.one_of(st.text(max_size=200), grammar_text, spaced_text)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(["a", "c", "0", "1"]), inner),
    max_leaves=10,
)
scopes = st.dictionaries(st.sampled_from(["a", "b", "x", "verify-fix", "y"]), json_values, max_size=5)


def check_error(error: ExpressionError, text: str) -> None:
    assert error.text == text
    assert 0 <= error.position <= len(text)


@FAST
@given(text=any_text, data=scopes)
def test_conditions_raise_only_expression_errors_and_evaluate_safely(text: str, data: dict[str, Any]) -> None:
    try:
        condition = parse_condition(text)
    except ExpressionError as error:
        check_error(error, text)
        return
    result = condition.evaluate(MappingScope(data))
    assert result.value is (result.truth == "true")
    assert (result.reason is None) is result.value
    # What parsed can be written back and parses to the same tree.
    assert parse_condition(unparse(condition.expr)).expr == condition.expr


@FAST
@given(text=any_text, data=scopes)
def test_templates_raise_only_expression_errors_and_render_safely(text: str, data: dict[str, Any]) -> None:
    try:
        template = parse_template(text)
    except ExpressionError as error:
        check_error(error, text)
        return
    scope = MappingScope(data)
    rendered = template.render(scope)
    assert isinstance(rendered.text, str)
    template.render_value(scope)
    render_structure({"k": [text]}, scope)
    if "$" not in text:
        assert rendered.text == text
