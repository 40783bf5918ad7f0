"""Gate conditions as propositions: inlining named conditions, and whether two can hold at once.

The compiler uses this to choose between a ``Choice`` (branches that exclude each other) and a
``Parallel``: each distinct comparison is treated as an independent boolean and every assignment
is tried, so unrelated atoms only make the answer more cautious.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from typing import Any

from ..expr import And, Compare, Expr, Literal, Not, Or, Ref, evaluate_expr
from ..expr.scope import MISSING
from .rules import reduce_boolean_compare

#: More distinct atoms than this and the 2^n assignments are not tried (the answer is "no").
MAX_ATOMS = 12


def never_two_hold(exprs: Sequence[Expr]) -> bool:
    """True when no assignment of the atoms makes two of ``exprs`` true at once."""
    atoms: list[Expr] = []
    for expr in exprs:
        _collect_atoms(expr, atoms)
    if len(atoms) > MAX_ATOMS:
        return False
    for values in itertools.product([True, False], repeat=len(atoms)):
        assignment = dict(zip(atoms, values, strict=True))
        if sum(1 for expr in exprs if _truth(expr, assignment)) > 1:
            return False
    return True


def substitute(expr: Expr, inline: Callable[[Ref], Expr | None]) -> Expr:
    """``expr`` with each reference ``inline`` knows replaced by its expression (recursively)."""
    if isinstance(expr, Ref):
        inlined = inline(expr)
        return substitute(inlined, inline) if inlined is not None else expr
    if isinstance(expr, Not):
        return Not(substitute(expr.item, inline))
    if isinstance(expr, And):
        return And(tuple(substitute(i, inline) for i in expr.items))
    if isinstance(expr, Or):
        return Or(tuple(substitute(i, inline) for i in expr.items))
    if isinstance(expr, Compare):
        compare = Compare(expr.op, substitute(expr.left, inline), substitute(expr.right, inline))
        reduced = reduce_boolean_compare(compare)
        return substitute(reduced, inline) if reduced is not None else compare
    return expr


def _collect_atoms(expr: Expr, atoms: list[Expr]) -> None:
    if isinstance(expr, And | Or):
        for item in expr.items:
            _collect_atoms(item, atoms)
    elif isinstance(expr, Not):
        _collect_atoms(expr.item, atoms)
    elif isinstance(expr, Compare | Ref):
        key = _canonical(expr)
        if key not in atoms:
            atoms.append(key)


def _canonical(expr: Expr) -> Expr:
    """``a != x`` and ``a == x`` are the same atom (negated); bare refs are ``ref == true``."""
    if isinstance(expr, Ref):
        return Compare("==", expr, Literal(True))
    if isinstance(expr, Compare) and expr.op == "!=":
        return Compare("==", expr.left, expr.right)
    return expr


def _truth(expr: Expr, assignment: dict[Expr, bool]) -> bool:
    if isinstance(expr, Literal):
        return expr.value is True
    if isinstance(expr, And):
        return all(_truth(i, assignment) for i in expr.items)
    if isinstance(expr, Or):
        return any(_truth(i, assignment) for i in expr.items)
    if isinstance(expr, Not):
        return not _truth(expr.item, assignment)
    if isinstance(expr, Compare | Ref):
        canonical = _canonical(expr)
        if isinstance(canonical, Compare) and all(isinstance(s, Literal) for s in (canonical.left, canonical.right)):
            value = evaluate_expr(canonical, _NoScope())
            holds = value is True
        else:
            holds = assignment[canonical]
        if isinstance(expr, Compare) and expr.op == "!=":
            return not holds
        return holds
    return False


class _NoScope:
    def lookup(self, ref: Ref) -> Any:
        return MISSING
