"""Choice rules: every ASL data-test operator plus And / Or / Not."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from functools import lru_cache
from typing import Any

from chalicelib.engine import paths

_KINDS = ("String", "Numeric", "Boolean", "Timestamp")
_COMPARISONS = ("Equals", "LessThan", "GreaterThan", "LessThanEquals", "GreaterThanEquals")

COMPARISON_OPERATORS: frozenset[str] = frozenset(
    [f"{k}{c}" for k in _KINDS for c in _COMPARISONS if not (k == "Boolean" and c != "Equals")]
    + [f"{k}{c}Path" for k in _KINDS for c in _COMPARISONS if not (k == "Boolean" and c != "Equals")]
    + ["StringMatches"]
)
TYPE_TESTS: frozenset[str] = frozenset({"IsPresent", "IsNull", "IsString", "IsNumeric", "IsBoolean", "IsTimestamp"})
OPERATORS: frozenset[str] = COMPARISON_OPERATORS | TYPE_TESTS
BOOLEAN_OPERATORS: frozenset[str] = frozenset({"And", "Or", "Not"})


def rule_operator(rule: dict[str, Any]) -> list[str]:
    """The operator keys of one rule (a valid rule has exactly one)."""
    return [k for k in rule if k in OPERATORS or k in BOOLEAN_OPERATORS]


def matches(rule: dict[str, Any], data: Any) -> bool:
    if "And" in rule:
        return all(matches(r, data) for r in rule["And"])
    if "Or" in rule:
        return any(matches(r, data) for r in rule["Or"])
    if "Not" in rule:
        return not matches(rule["Not"], data)
    (op,) = [k for k in rule if k in OPERATORS]
    variable: str = rule["Variable"]
    expected = rule[op]
    if op == "IsPresent":
        return paths.exists(variable, data) == bool(expected)
    value = paths.read(variable, data)
    if op in TYPE_TESTS:
        return _TYPE_TESTS[op](value) == bool(expected)
    if op.endswith("Path"):
        expected = paths.read(expected, data)
        op = op[:-4]
    return _compare(op, value, expected)


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


# RFC 3339 as Step Functions reads it: an uppercase T between date and time, and an offset
# (uppercase Z or +hh:mm). Python's fromisoformat alone also takes "2026-01-01", "+0000", week dates...
_RFC3339 = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)")


def timestamp(v: Any) -> datetime | None:
    """The instant an RFC 3339 timestamp names, else ``None``."""
    if not isinstance(v, str) or not _RFC3339.fullmatch(v):
        return None
    try:
        return datetime.fromisoformat(v[:-1] + "+00:00" if v.endswith("Z") else v)
    except ValueError:  # e.g. month 13
        return None


_TYPE_TESTS: dict[str, Callable[[Any], bool]] = {
    "IsNull": lambda v: v is None,
    "IsString": lambda v: isinstance(v, str),
    "IsNumeric": _is_number,
    "IsBoolean": lambda v: isinstance(v, bool),
    "IsTimestamp": lambda v: timestamp(v) is not None,
}


def _compare(op: str, value: Any, expected: Any) -> bool:
    if op == "StringMatches":
        return isinstance(value, str) and bool(_wildcard(expected).fullmatch(value))
    kind = next(k for k in _KINDS if op.startswith(k))
    test = op[len(kind) :]
    a: Any
    b: Any
    if kind == "String":
        if not isinstance(value, str) or not isinstance(expected, str):
            return False
        a, b = value, expected
    elif kind == "Numeric":
        if not _is_number(value) or not _is_number(expected):
            return False
        a, b = value, expected
    elif kind == "Boolean":
        return isinstance(value, bool) and isinstance(expected, bool) and value == expected
    else:
        a, b = timestamp(value), timestamp(expected)
        if a is None or b is None:
            return False
    outcome: bool = {
        "Equals": a == b,
        "LessThan": a < b,
        "GreaterThan": a > b,
        "LessThanEquals": a <= b,
        "GreaterThanEquals": a >= b,
    }[test]
    return outcome


@lru_cache(maxsize=512)
def _wildcard(pattern: str) -> re.Pattern[str]:
    # '*' matches any run of characters; '\*' is a literal star.
    out: list[str] = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("\\*", i):
            out.append(re.escape("*"))
            i += 2
        elif pattern.startswith("\\\\", i):
            out.append(re.escape("\\"))
            i += 2
        elif pattern[i] == "*":
            out.append(".*")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out), re.DOTALL)
