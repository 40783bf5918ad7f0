"""Three-valued (Kleene) evaluation of an expression tree.

A value is either a plain Python value or :class:`Unknown`, which carries the reason it could
not be decided (a missing operand, a type that cannot be ordered, a non-boolean in AND/OR/NOT).
Unknown never becomes true on its own: ``true OR unknown`` is true, ``false AND unknown`` is
false, everything else involving unknown stays unknown. Nothing here raises for a parsed tree.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .scope import MISSING, Scope
from .syntax import And, Compare, Expr, Literal, Not, Ref, render_literal, unparse


@dataclass(frozen=True)
class Unknown:
    """The third truth value; ``reason`` says why the value could not be decided."""

    reason: str


def resolve(ref: Ref, scope: Scope) -> Any:
    """The value of ``ref`` in ``scope``, with its ``:-`` default applied; may be :data:`MISSING`."""
    value = scope.lookup(ref)
    if ref.default is not None and (value is MISSING or value is None or (isinstance(value, str) and value == "")):
        return ref.default
    return value


def value_is_empty_string(value: Any) -> bool:
    return isinstance(value, str) and value == ""


def evaluate_expr(expr: Expr, scope: Scope) -> Any:
    """Evaluate ``expr``: a plain value (comparisons and logic give ``bool``) or :class:`Unknown`."""
    if isinstance(expr, Literal):
        return expr.value
    if isinstance(expr, Ref):
        value = resolve(expr, scope)
        return Unknown(f"{expr.dotted} is missing") if value is MISSING else value
    if isinstance(expr, Compare):
        return compare(expr.op, evaluate_expr(expr.left, scope), evaluate_expr(expr.right, scope))
    if isinstance(expr, Not):
        item = _truth(expr.item, scope)
        return item if isinstance(item, Unknown) else not item
    if isinstance(expr, And):
        return _combine([_truth(item, scope) for item in expr.items], decisive=False)
    return _combine([_truth(item, scope) for item in expr.items], decisive=True)


def _truth(expr: Expr, scope: Scope) -> bool | Unknown:
    """``expr`` as a truth value: only real booleans count, anything else is unknown."""
    value = evaluate_expr(expr, scope)
    if isinstance(value, bool | Unknown):
        return value
    return Unknown(f"{unparse(expr)} is {describe_value(value)}, not a boolean")


def _combine(values: list[bool | Unknown], decisive: bool) -> bool | Unknown:
    # OR is decided by any true, AND by any false; otherwise an unknown item leaves it unknown.
    if decisive in values:
        return decisive
    unknowns = [value.reason for value in values if isinstance(value, Unknown)]
    if unknowns:
        return Unknown("; ".join(dict.fromkeys(unknowns)))
    return not decisive


def is_number(value: Any) -> bool:
    """int, float or Decimal, but not bool: ``true`` is not ``1`` here."""
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def type_name(value: Any) -> str:
    """The JSON name of a value's type, as used in reasons."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if is_number(value):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list | tuple):
        return "array"
    return type(value).__name__


def describe_value(value: Any, limit: int = 80) -> str:
    """A short, readable rendering of a value for a reason string."""
    if isinstance(value, str | bool | int | float) or value is None:
        text = render_literal(value)
    else:
        try:
            text = json.dumps(value, ensure_ascii=False, default=str, sort_keys=True)
        except (TypeError, ValueError, RecursionError):
            text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def strict_equal(left: Any, right: Any) -> bool:
    """Equality with no coercion except int/float/Decimal; applied inside lists and dicts too."""
    if is_number(left) and is_number(right):
        return bool(left == right)
    if type_name(left) != type_name(right):
        return False
    if isinstance(left, dict) and isinstance(right, dict):
        return left.keys() == right.keys() and all(strict_equal(left[k], right[k]) for k in left)
    if isinstance(left, list | tuple) and isinstance(right, list | tuple):
        return len(left) == len(right) and all(strict_equal(a, b) for a, b in zip(left, right, strict=True))
    try:
        return bool(left == right)
    except Exception:  # an exotic scope value with a broken __eq__ must not abort a run
        return False


def compare(op: str, left: Any, right: Any) -> bool | Unknown:
    """Apply a comparison operator with the typed rules; unknown operands give unknown."""
    if isinstance(left, Unknown):
        return left
    if isinstance(right, Unknown):
        return right
    if op == "==":
        return strict_equal(left, right)
    if op == "!=":
        return not strict_equal(left, right)
    if not ((is_number(left) and is_number(right)) or (isinstance(left, str) and isinstance(right, str))):
        return Unknown(
            f"cannot order {type_name(left)} {describe_value(left)} "
            f"and {type_name(right)} {describe_value(right)} with {op}"
        )
    try:
        if op == "<":
            return bool(left < right)
        if op == "<=":
            return bool(left <= right)
        if op == ">":
            return bool(left > right)
        return bool(left >= right)
    except ArithmeticError:  # Decimal signalling NaN
        return Unknown(f"cannot order {describe_value(left)} and {describe_value(right)}")
