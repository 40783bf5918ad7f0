"""The expression tree: frozen dataclasses the parser builds and the evaluator walks.

Every node can be turned back into source text with :func:`unparse`, which the evaluator
uses to explain a decision in the run history and the compiler may use in state comments.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, TypeAlias

#: The comparison operators, in the canonical spelling stored in :class:`Compare`.
COMPARISON_OPERATORS: frozenset[str] = frozenset({"==", "!=", "<", "<=", ">", ">="})


@dataclass(frozen=True)
class Ref:
    """A reference to a value by path: ``diagnose.output.severity`` is ``("diagnose", "output", "severity")``.

    ``default`` is the literal text after ``:-`` in ``${path:-default}``; it replaces a value that is
    missing, null or the empty string.
    """

    parts: tuple[str, ...]
    default: str | None = None

    @property
    def dotted(self) -> str:
        """The path as written, without the default: ``"a.b.c"``."""
        return ".".join(self.parts)


@dataclass(frozen=True)
class Literal:
    """A constant: string, int, float, bool or None (``null``)."""

    value: str | int | float | bool | None


@dataclass(frozen=True)
class Compare:
    """``left op right`` with ``op`` one of :data:`COMPARISON_OPERATORS`."""

    op: str
    left: Expr
    right: Expr


@dataclass(frozen=True)
class And:
    """Kleene conjunction of two or more items."""

    items: tuple[Expr, ...]


@dataclass(frozen=True)
class Or:
    """Kleene disjunction of two or more items."""

    items: tuple[Expr, ...]


@dataclass(frozen=True)
class Not:
    """Kleene negation."""

    item: Expr


Expr: TypeAlias = Ref | Literal | Compare | And | Or | Not


def references(expr: Expr) -> list[Ref]:
    """Every :class:`Ref` in ``expr``, left to right (duplicates kept)."""
    if isinstance(expr, Ref):
        return [expr]
    if isinstance(expr, Literal):
        return []
    if isinstance(expr, Compare):
        return references(expr.left) + references(expr.right)
    if isinstance(expr, Not):
        return references(expr.item)
    found: list[Ref] = []
    for item in expr.items:
        found.extend(references(item))
    return found


def unique(refs: list[Ref]) -> list[Ref]:
    """``refs`` without repeats, first occurrence first."""
    return list(dict.fromkeys(refs))


# Binding strength, used by unparse to add only the parentheses that are needed.
_OR, _AND, _NOT, _CMP, _ATOM = range(5)


def _strength(expr: Expr) -> int:
    if isinstance(expr, Or):
        return _OR
    if isinstance(expr, And):
        return _AND
    if isinstance(expr, Not):
        return _NOT
    if isinstance(expr, Compare):
        return _CMP
    return _ATOM


def _wrap(expr: Expr, minimum: int) -> str:
    text = unparse(expr)
    return f"({text})" if _strength(expr) < minimum else text


def unparse(expr: Expr) -> str:
    """Source text for ``expr`` that parses back to an equal tree."""
    if isinstance(expr, Ref):
        if expr.default is None:
            return expr.dotted
        return "${" + expr.dotted + ":-" + expr.default + "}"
    if isinstance(expr, Literal):
        return render_literal(expr.value)
    if isinstance(expr, Compare):
        # Comparisons do not chain, so an operand that is itself a comparison needs parentheses.
        return f"{_wrap(expr.left, _ATOM)} {expr.op} {_wrap(expr.right, _ATOM)}"
    if isinstance(expr, Not):
        return f"NOT {_wrap(expr.item, _NOT)}"
    if isinstance(expr, And):
        return " AND ".join(_wrap(item, _NOT) for item in expr.items)
    return " OR ".join(_wrap(item, _AND) for item in expr.items)


def render_literal(value: Any) -> str:
    """A literal value in expression syntax: ``"text"``, ``42``, ``true``, ``null``."""
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value)
