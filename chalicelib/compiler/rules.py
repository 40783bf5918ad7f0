"""Conditions to Step Functions ``Choice`` rules, keeping the fail-closed semantics.

Our conditions use three-valued logic: a comparison with a missing operand is *unknown*, and a
condition holds only when it is definitely true. A Choice rule is two-valued and a comparison
on a missing path is a runtime error, so each expression ``e`` compiles to two rules:
``true_rule(e)`` ("e is definitely true") and ``false_rule(e)`` ("e is definitely false"),
with ``IsPresent`` and type guards in front of every comparison. ``Not`` swaps them; ``And``
and ``Or`` follow Kleene's tables. Neither rule matching means unknown: the Choice's
``Default`` (skip) is taken, and the node's record says why. A bare reference (``when: APPROVED``)
is true or false only when its value is a boolean, as in ``chalicelib.expr``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..expr import And, Compare, Expr, Literal, Not, Or, Ref

Rule = dict[str, Any]
#: Constant rules after simplification.
TRUE: Rule = {"__const__": True}
FALSE: Rule = {"__const__": False}

#: Resolves a reference to a Step Functions JSONPath of the execution state.
PathOf = Callable[[Ref], str]

_OPS = {"==": "Equals", "<": "LessThan", "<=": "LessThanEquals", ">": "GreaterThan", ">=": "GreaterThanEquals"}
_FLIP = {"==": "==", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}
_TYPES = {"String": "IsString", "Numeric": "IsNumeric", "Boolean": "IsBoolean"}


def is_const(rule: Rule, value: bool) -> bool:
    return rule.get("__const__") is value


def _and(*rules: Rule) -> Rule:
    kept: list[Rule] = []
    for rule in rules:
        if is_const(rule, False):
            return FALSE
        if not is_const(rule, True):
            kept.extend(rule["And"] if set(rule) == {"And"} else [rule])
    if not kept:
        return TRUE
    return kept[0] if len(kept) == 1 else {"And": kept}


def _or(*rules: Rule) -> Rule:
    kept: list[Rule] = []
    for rule in rules:
        if is_const(rule, True):
            return TRUE
        if not is_const(rule, False):
            kept.extend(rule["Or"] if set(rule) == {"Or"} else [rule])
    if not kept:
        return FALSE
    return kept[0] if len(kept) == 1 else {"Or": kept}


def _not(rule: Rule) -> Rule:
    if "__const__" in rule:
        return FALSE if rule["__const__"] else TRUE
    return {"Not": rule}


def _present(path: str) -> Rule:
    return {"Variable": path, "IsPresent": True}


def _kind(value: Any) -> str | None:
    if isinstance(value, bool):
        return "Boolean"
    if isinstance(value, int | float):
        return "Numeric"
    if isinstance(value, str):
        return "String"
    return None


def _holds(op: str, left: Any, right: Any) -> bool | None:
    """Evaluate a comparison of two literals (None when unknown)."""
    if op == "==":
        return _same(left, right)
    if op == "!=":
        return not _same(left, right)
    kl, kr = _kind(left), _kind(right)
    if kl != kr or kl not in ("Numeric", "String"):
        return None
    table = {"<": left < right, "<=": left <= right, ">": left > right, ">=": left >= right}
    return bool(table[op])


def _same(left: Any, right: Any) -> bool:
    if _kind(left) != _kind(right):
        return False
    return bool(left == right)


class RuleCompiler:
    def __init__(self, path_of: PathOf, substitute: Callable[[Ref], Expr | None] | None = None) -> None:
        self.path_of = path_of
        #: Named conditions of a Conditional node are inlined: ``is_critical`` -> its expression.
        self.substitute = substitute or (lambda ref: None)

    def true_rule(self, expr: Expr) -> Rule:
        return self._rule(expr, True)

    def false_rule(self, expr: Expr) -> Rule:
        return self._rule(expr, False)

    def _rule(self, expr: Expr, want: bool) -> Rule:
        if isinstance(expr, Ref) and (inlined := self.substitute(expr)) is not None:
            return self._rule(inlined, want)
        if isinstance(expr, Literal):
            if not isinstance(expr.value, bool):
                return FALSE  # a literal that is not a boolean is neither true nor false
            return TRUE if expr.value is want else FALSE
        if isinstance(expr, Not):
            return self._rule(expr.item, not want)
        if isinstance(expr, And):
            parts = [self._rule(i, want) for i in expr.items]
            return _and(*parts) if want else _or(*parts)
        if isinstance(expr, Or):
            parts = [self._rule(i, want) for i in expr.items]
            return _or(*parts) if want else _and(*parts)
        if isinstance(expr, Ref):
            # A bare reference is true or false only when it is a boolean; anything else is unknown.
            path = self.path_of(expr)
            return _and(
                _present(path), {"Variable": path, "IsBoolean": True}, {"Variable": path, "BooleanEquals": want}
            )
        return self._compare(expr, want)

    def _compare(self, expr: Compare, want: bool) -> Rule:
        left, right, op = expr.left, expr.right, expr.op
        if isinstance(left, Ref) and (inlined := self.substitute(left)) is not None:
            left = inlined
        if isinstance(right, Ref) and (inlined := self.substitute(right)) is not None:
            right = inlined
        reduced = reduce_boolean_compare(Compare(op, left, right))
        if reduced is not None:
            return self._rule(reduced, want)
        if not isinstance(left, Ref | Literal) or not isinstance(right, Ref | Literal):
            raise ValueError("comparisons must be between values and references, not between conditions")
        if isinstance(left, Literal) and isinstance(right, Ref):
            left, right, op = right, left, _FLIP[op]
        if isinstance(left, Literal) and isinstance(right, Literal):
            result = _holds(op, left.value, right.value)
            if result is None:
                return FALSE
            return TRUE if result == want else FALSE
        assert isinstance(left, Ref)
        path = self.path_of(left)
        if isinstance(right, Literal):
            return self._against_value(path, op, right.value, want)
        return self._against_path(path, op, self.path_of(right), want)

    def _against_value(self, path: str, op: str, value: Any, want: bool) -> Rule:
        present = _present(path)
        if op in ("==", "!="):
            if value is None:
                equal: Rule = {"Variable": path, "IsNull": True}
            else:
                kind = _kind(value)
                assert kind is not None
                equal = _and({"Variable": path, _TYPES[kind]: True}, {"Variable": path, f"{kind}Equals": value})
            holds = equal if op == "==" else _not(equal)
            return _and(present, holds if want else _not(holds))
        kind = _kind(value)
        if kind not in ("Numeric", "String"):
            return FALSE  # ordering against true/false/null is never known
        typed = {"Variable": path, _TYPES[kind]: True}
        compare = {"Variable": path, f"{kind}{_OPS[op]}": value}
        return _and(present, typed, compare if want else _not(compare))

    def _against_path(self, path: str, op: str, other: str, want: bool) -> Rule:
        both = _and(_present(path), _present(other))
        kinds = ("String", "Numeric", "Boolean") if op in ("==", "!=") else ("String", "Numeric")
        base = "==" if op == "!=" else op
        same_kind: list[Rule] = []
        for kind in kinds:
            same_kind.append(
                _and(
                    {"Variable": path, _TYPES[kind]: True},
                    {"Variable": other, _TYPES[kind]: True},
                    {"Variable": path, f"{kind}{_OPS[base]}Path": other},
                )
            )
        holds = _or(*same_kind)
        if op in ("==", "!="):
            if op == "!=":
                holds = _not(holds)
            return _and(both, holds if want else _not(holds))
        typed = _or(*(_and({"Variable": path, _TYPES[k]: True}, {"Variable": other, _TYPES[k]: True}) for k in kinds))
        return _and(both, typed, holds if want else _not(holds))


def reduce_boolean_compare(expr: Compare) -> Expr | None:
    """``(a == "x") == true`` is ``a == "x"``; ``(...) == false`` and ``!= true`` negate it.

    Named conditions are inlined where a flow compares them with a boolean, so the comparison
    is between a condition and ``true``/``false``; Kleene logic keeps unknown unknown.
    """
    for cond, other in ((expr.left, expr.right), (expr.right, expr.left)):
        if isinstance(cond, Compare | And | Or | Not) and isinstance(other, Literal) and isinstance(other.value, bool):
            positive = (expr.op == "==") == other.value
            if expr.op not in ("==", "!="):
                return None
            return cond if positive else Not(cond)
    return None


def finish(rule: Rule, next_state: str) -> Rule:
    """Attach ``Next`` to a top-level rule; a constant-true rule becomes a tautology on ``$``."""
    if is_const(rule, True):
        rule = {"Variable": "$", "IsPresent": True}
    return {**rule, "Next": next_state}
