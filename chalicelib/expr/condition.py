"""Conditions (``when:``, ``condition:``, ``expression:``): parse once, evaluate fail-closed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal as TypingLiteral

from chalicelib.errors import ExpressionError

from .evaluate import Unknown, describe_value, evaluate_expr, resolve
from .parser import parse_expression
from .scope import MISSING, Scope
from .syntax import Expr, Literal, Ref, references, unique, unparse

Truth = TypingLiteral["true", "false", "unknown"]


@dataclass(frozen=True)
class Evaluation:
    """The outcome of a condition.

    ``value`` is True only when the condition is definitely true. ``truth`` tells a definite
    false from an undecidable one; ``reason`` explains any outcome other than true, for the
    run history.
    """

    value: bool
    reason: str | None
    truth: Truth


@dataclass(frozen=True)
class Condition:
    """A parsed condition. ``text`` is the source (``"true"``/``"false"`` for YAML booleans)."""

    text: str
    expr: Expr

    def references(self) -> list[Ref]:
        """Every reference the condition reads, in order, without repeats."""
        return unique(references(self.expr))

    def evaluate(self, scope: Scope) -> Evaluation:
        """Decide the condition; missing values and type problems make it false, with a reason."""
        result = evaluate_expr(self.expr, scope)
        if result is True:
            return Evaluation(True, None, "true")
        if isinstance(result, Unknown):
            return Evaluation(False, result.reason, "unknown")
        if result is False:
            return Evaluation(False, self._why_false(scope), "false")
        # A bare reference or literal that is not a boolean: `when: APPROVED` with APPROVED="yes".
        reason = f"{unparse(self.expr)} is {describe_value(result)}, not a boolean"
        return Evaluation(False, reason, "unknown")

    def _why_false(self, scope: Scope) -> str:
        shown = []
        for ref in self.references():
            value = resolve(ref, scope)
            shown.append(f"{ref.dotted} = {'missing' if value is MISSING else describe_value(value)}")
        where = f" (where {', '.join(shown)})" if shown else ""
        return f"{unparse(self.expr)} is false{where}"


def parse_condition(text: str | bool) -> Condition:
    """Parse a condition. A YAML boolean (``when: true``) is accepted as is.

    Raises :class:`~chalicelib.errors.ExpressionError` (with the offending position) for any
    text that is not a valid condition, and nothing else.
    """
    if isinstance(text, bool):
        return Condition("true" if text else "false", Literal(text))
    if not isinstance(text, str):
        raise ExpressionError(f"a condition must be text or a boolean, not {type(text).__name__}")
    if text.strip() == "":
        raise ExpressionError("empty condition", text, 0)
    return Condition(text, parse_expression(text))
