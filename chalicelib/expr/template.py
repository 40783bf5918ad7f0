"""``${...}`` templates: literal text with references and expressions spliced in.

Rendering rules (other packages rely on them):

* A reference that is missing renders as ``""`` and is listed in :attr:`Rendered.missing`.
* ``${path:-default}`` uses ``default`` when the value is missing, null or ``""``.
* A boolean expression (``${a == "x"}``) renders ``true``/``false``; if it cannot be decided it
  renders ``false`` (fail closed, as a condition would) and its missing references are listed.
* Inside a larger string, non-strings render as JSON: ``true``/``false``, ``null``, numbers as
  written, dicts and lists via ``json.dumps``.
* ``render_value`` on a template that is exactly one ``${...}`` returns the typed value
  (``None`` when missing).
* Text outside ``${...}`` is literal, including a ``$`` not followed by ``{`` (``$HOME``,
  ``$(date)``). ``$${`` is an escape for a literal ``${``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from chalicelib.errors import ExpressionError

from .evaluate import evaluate_expr, resolve
from .lexer import find_interpolation_end
from .parser import parse_interpolation
from .scope import MISSING, Scope
from .syntax import Expr, Literal, Ref, references, unique


@dataclass(frozen=True)
class Rendered:
    """Rendered text plus the references that had no value (so callers can warn)."""

    text: str
    missing: list[Ref]


@dataclass(frozen=True)
class Template:
    """A parsed template: literal strings and expressions, in order."""

    text: str
    parts: tuple[str | Expr, ...]

    @property
    def is_single_expression(self) -> bool:
        """True when the whole template is one ``${...}`` with no text around it."""
        return len(self.parts) == 1 and not isinstance(self.parts[0], str)

    def references(self) -> list[Ref]:
        """Every reference in the template, in order, without repeats."""
        found: list[Ref] = []
        for part in self.parts:
            if not isinstance(part, str):
                found.extend(references(part))
        return unique(found)

    def render(self, scope: Scope) -> Rendered:
        """Render to text; see the module docstring for how values become text."""
        return self.render_encoded(scope, lambda text: text)

    def render_encoded(self, scope: Scope, encode: Callable[[str], str]) -> Rendered:
        """Render to text, each value's text passed through ``encode`` for the place it lands
        in (percent-encoding in a URL, a data mark in a chat message); literal text as is."""
        pieces: list[str] = []
        missing: list[Ref] = []
        for part in self.parts:
            if isinstance(part, str):
                pieces.append(part)
                continue
            value = _value(part, scope, missing)
            pieces.append(encode("" if value is MISSING else to_text(value)))
        return Rendered("".join(pieces), unique(missing))

    def render_value(self, scope: Scope) -> Any:
        """The typed value for a single-expression template, else the rendered text."""
        return self.render_with_missing(scope)[0]

    def render_with_missing(self, scope: Scope) -> tuple[Any, list[Ref]]:
        """Like :meth:`render_value`, also returning the missing references."""
        if not self.is_single_expression:
            rendered = self.render(scope)
            return rendered.text, rendered.missing
        missing: list[Ref] = []
        expr = self.parts[0]
        assert not isinstance(expr, str)  # is_single_expression guarantees it
        value = _value(expr, scope, missing)
        return (None if value is MISSING else value), unique(missing)


def _value(expr: Expr, scope: Scope, missing: list[Ref]) -> Any:
    """The value of one ``${...}``; records missing references; never Unknown."""
    if isinstance(expr, Ref):
        value = resolve(expr, scope)
        if value is MISSING:
            missing.append(expr)
        return value
    if isinstance(expr, Literal):
        return expr.value
    missing.extend(ref for ref in references(expr) if resolve(ref, scope) is MISSING)
    # Only Compare/And/Or/Not get here; they yield a bool or Unknown, and undecided is false.
    return evaluate_expr(expr, scope) is True


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        # DynamoDB hands numbers back as Decimal; NaN/Infinity have no JSON form, keep them as text.
        if not value.is_finite():
            return str(value)
        return int(value) if value == value.to_integral_value() else float(value)
    return str(value)


def to_text(value: Any) -> str:
    """How a value looks inside a larger string: strings as is, everything else as JSON."""
    if isinstance(value, str):
        return value
    if isinstance(value, Decimal):
        return str(_json_default(value))
    try:
        return json.dumps(value, ensure_ascii=False, default=_json_default)
    except (TypeError, ValueError, RecursionError):  # e.g. a circular structure from a custom scope
        return str(value)


def parse_template(text: str) -> Template:
    """Parse a template string.

    Raises :class:`~chalicelib.errors.ExpressionError` with the offending position for an
    unterminated ``${``, an empty ``${}`` or a malformed expression inside one, and nothing else.
    """
    if not isinstance(text, str):
        raise ExpressionError(f"a template must be text, not {type(text).__name__}")
    parts: list[str | Expr] = []
    literal: list[str] = []
    pos = 0
    while True:
        dollar = text.find("$", pos)
        if dollar < 0:
            literal.append(text[pos:])
            break
        literal.append(text[pos:dollar])
        if text.startswith("$${", dollar):
            literal.append("${")
            pos = dollar + 3
        elif text.startswith("${", dollar):
            close = find_interpolation_end(text, dollar, len(text))
            if "".join(literal):
                parts.append("".join(literal))
            literal = []
            parts.append(parse_interpolation(text, dollar, close))
            pos = close + 1
        else:
            literal.append("$")
            pos = dollar + 1
    if "".join(literal):
        parts.append("".join(literal))
    return Template(text, tuple(parts))
