"""``${...}`` templates whose literal text is JSON (an HTTP node's body), rendered as JSON.

Splicing values into JSON as text lets a value end the string it sits in: an agent's answer
with a quote breaks the document, and ``x", "status": "acknowledged`` adds a key of its own.
Here the template's literal text is read as JSON while it is rendered, and every value is
encoded for the place it lands in:

* inside a JSON string (``"resolution": "Fixed: ${a}"``) the value's text is escaped as string
  content, so it can never leave the string;
* outside a string (``"duration": ${flow.duration_seconds}``) the value is one JSON value
  (number, boolean, null, string, object or array), never raw text; missing renders ``null``.

The result is parsed back into a structure, so what is sent is exactly one JSON document whose
keys are the ones the flow's author wrote.
"""

from __future__ import annotations

import json
import math
from decimal import Decimal
from typing import Any

from chalicelib.errors import ExpressionError

from .scope import MISSING, Scope
from .syntax import Ref
from .template import Template, _json_default, _value, parse_template, to_text


def looks_like_json(text: str, content_type: str | None) -> bool:
    """Whether a text body is a JSON document: its Content-Type says so, or (with none given)
    it opens with ``{`` or ``[``."""
    if content_type is not None:
        media = content_type.split(";", 1)[0].strip().lower()
        return media == "application/json" or media.endswith("+json")
    return text.lstrip()[:1] in ("{", "[")


def render_json(text: str, scope: Scope) -> tuple[Any, list[Ref]]:
    """Render a JSON template to the structure it describes, and the references it missed.

    Raises :class:`~chalicelib.errors.ExpressionError` when the template is not JSON (which
    :func:`check_json_template` reports when the flow is validated).
    """
    template = parse_template(text)
    missing: list[Ref] = []
    pieces: list[str] = []
    for part, in_string in _contexts(template):
        if isinstance(part, str):
            pieces.append(part)
            continue
        value = _value(part, scope, missing)
        pieces.append(_in_string(value) if in_string else _as_value(value))
    return _parse("".join(pieces)), missing


def check_json_template(text: str) -> None:
    """Raise :class:`~chalicelib.errors.ExpressionError` unless ``text`` is JSON once each
    ``${...}`` is replaced by a value; says where the document breaks."""
    template = parse_template(text)
    skeleton = "".join(
        part if isinstance(part, str) else ("" if in_string else "null") for part, in_string in _contexts(template)
    )
    _parse(skeleton)


def _contexts(template: Template) -> list[tuple[Any, bool]]:
    """Each part with whether it sits inside a JSON string (tracked across the literal text)."""
    out: list[tuple[Any, bool]] = []
    in_string = escaped = False
    for part in template.parts:
        out.append((part, in_string))
        if not isinstance(part, str):
            continue
        for char in part:
            if escaped:
                escaped = False
            elif char == "\\" and in_string:
                escaped = True
            elif char == '"':
                in_string = not in_string
    return out


def _in_string(value: Any) -> str:
    text = "" if value is MISSING else to_text(value)
    return json.dumps(text, ensure_ascii=False)[1:-1]


def _as_value(value: Any) -> str:
    if value is MISSING:
        return "null"
    if isinstance(value, float) and not math.isfinite(value):
        return json.dumps(str(value))  # JSON has no NaN or Infinity
    if isinstance(value, Decimal):
        value = _json_default(value)
    try:
        return json.dumps(value, ensure_ascii=False, allow_nan=False, default=_json_default)
    except (TypeError, ValueError, RecursionError):
        return json.dumps(to_text(value), ensure_ascii=False)


def _parse(document: str) -> Any:
    try:
        return json.loads(document)
    except json.JSONDecodeError as error:
        raise ExpressionError(
            f"the body is not JSON once its ${{...}} values are in place (near line {error.lineno}: {error.msg})"
        ) from None
