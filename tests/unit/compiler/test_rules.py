"""Conditions compiled to Choice rules keep the three-valued, fail-closed meaning of the evaluator.

Each condition is compiled to its "definitely true" and "definitely false" rules and both are
evaluated by the embedded engine's Choice evaluator (the same rules Step Functions evaluates)
against states where operands are present, missing, null or of another type. The true rule
matches exactly when ``chalicelib.expr`` says true, the false rule exactly when it says false,
and neither matches when it is unknown (a missing operand): the Choice's ``Default`` is taken.
"""

import itertools
from typing import Any

import pytest

from chalicelib.compiler.rules import RuleCompiler, finish, is_const
from chalicelib.engine.choice import matches
from chalicelib.expr import MappingScope, Ref, Unknown, evaluate_expr, parse_condition
from chalicelib.spec.references import jsonpath

CONDITIONS = [
    '${sev} == "critical"',
    '${sev} != "critical"',
    "${n} > 3",
    "${n} <= 3",
    "${flag} == true",
    "${flag} != false",
    "${flag}",
    "${v} == null",
    "${a} == ${b}",
    "${a} != ${b}",
    "${a} < ${b}",
    '${sev} == "critical" OR ${flag} == true',
    '${sev} == "critical" AND ${flag} == true',
    '(${sev} == "critical") == false',
]

VALUES: dict[str, list[Any]] = {
    "sev": ["critical", "low", 5, None],
    "n": [5, 3, "x"],
    "flag": [True, False, "true"],
    "v": [None, "x"],
    "a": [1, "1"],
    "b": [1, 2, "1"],
}
MISSING = object()


def states() -> list[dict[str, Any]]:
    """Every operand missing or set to each value, one or two operands at a time."""
    out: list[dict[str, Any]] = [{}]
    names = list(VALUES)
    for name in names:
        out += [{name: v} for v in VALUES[name]]
    for first, second in itertools.combinations(names, 2):
        for x, y in itertools.product(VALUES[first], VALUES[second]):
            out.append({first: x, second: y})
    return out


def compile_rules(text: str) -> tuple[dict[str, Any], dict[str, Any]]:
    compiler = RuleCompiler(lambda ref: jsonpath(("vars", *ref.parts)))
    expr = parse_condition(text).expr
    return compiler.true_rule(expr), compiler.false_rule(expr)


def rule_holds(rule: dict[str, Any], data: dict[str, Any]) -> bool:
    if is_const(rule, False):
        return False
    return matches({k: v for k, v in finish(rule, "x").items() if k != "Next"}, data)


@pytest.mark.parametrize("text", CONDITIONS)
def test_true_and_false_rules_agree_with_the_three_valued_evaluator(text: str) -> None:
    true_rule, false_rule = compile_rules(text)
    expr = parse_condition(text).expr
    seen = set()
    for variables in states():
        expected = evaluate_expr(expr, MappingScope(variables))
        verdict = "unknown" if isinstance(expected, Unknown) or not isinstance(expected, bool) else expected
        seen.add(verdict)
        data = {"vars": variables}
        assert (rule_holds(true_rule, data), rule_holds(false_rule, data)) == (verdict is True, verdict is False), (
            text,
            variables,
            verdict,
        )
    # Every condition is exercised on all three outcomes.
    assert seen == {True, False, "unknown"}, (text, seen)


def test_a_missing_operand_matches_neither_rule() -> None:
    true_rule, false_rule = compile_rules('${sev} == "critical"')
    for data in ({"vars": {}}, {"vars": {"other": "critical"}}, {}):
        assert not rule_holds(true_rule, data)
        assert not rule_holds(false_rule, data)


def test_comparing_with_a_missing_operand_never_raises_in_the_choice() -> None:
    # Without the IsPresent guard, a comparison on a missing path is a runtime error
    # (States.Runtime) in Step Functions; the guard keeps it a plain "no match".
    true_rule, false_rule = compile_rules("${a} < ${b}")
    for data in ({"vars": {"a": 1}}, {"vars": {"b": 1}}, {"vars": {}}):
        assert not rule_holds(true_rule, data) and not rule_holds(false_rule, data)


def test_ordering_strings_and_numbers_is_unknown_not_false() -> None:
    true_rule, false_rule = compile_rules("${n} > 3")
    data = {"vars": {"n": "10"}}
    assert not rule_holds(true_rule, data)
    assert not rule_holds(false_rule, data)


def test_named_conditions_are_inlined_with_kleene_logic() -> None:
    named = {"is_critical": parse_condition('${sev} == "critical"').expr}
    compiler = RuleCompiler(
        lambda ref: jsonpath(("vars", *ref.parts)),
        lambda ref: named.get(ref.parts[0]) if len(ref.parts) == 1 else None,
    )
    expr = parse_condition("is_critical == false").expr
    true_rule, false_rule = compiler.true_rule(expr), compiler.false_rule(expr)
    assert rule_holds(true_rule, {"vars": {"sev": "high"}})
    assert rule_holds(false_rule, {"vars": {"sev": "critical"}})
    # is_critical is unknown when sev is missing, so "is_critical == false" is unknown too.
    assert not rule_holds(true_rule, {"vars": {}}) and not rule_holds(false_rule, {"vars": {}})


def test_ref_parts_become_bracketed_paths_when_not_identifiers() -> None:
    assert jsonpath(("nodes", "verify_fix", "output")) == "$.nodes.verify_fix.output"
    rule, _ = RuleCompiler(lambda ref: jsonpath(("nodes", *ref.parts)))._rule(Ref(("a-b",)), True), None
    assert rule_holds(rule, {"nodes": {"a-b": True}})
    assert not rule_holds(rule, {"nodes": {"a-b": "true"}})
