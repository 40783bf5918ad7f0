"""Templates inside nested configuration (a node's ``config``): find references, render all."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chalicelib.errors import ExpressionError

from .scope import Scope
from .syntax import Ref, unique
from .template import parse_template


def references_in(value: Any) -> list[Ref]:
    """Every reference in every string of a nested dict/list structure, without repeats.

    A string that does not parse raises :class:`~chalicelib.errors.ExpressionError` whose message
    starts with where it is (``config.headers.Authorization: ...``).
    """
    found: list[Ref] = []
    for path, text in _strings(value, ""):
        try:
            found.extend(parse_template(text).references())
        except ExpressionError as error:
            where = path or "<value>"
            raise ExpressionError(f"{where}: {error.message}", error.text, error.position) from error
    return unique(found)


def render_structure(value: Any, scope: Scope) -> tuple[Any, list[Ref]]:
    """Render every string in a nested structure; returns the copy and the missing references.

    A string that is exactly one ``${...}`` keeps the value's type (dict, bool, number, or None
    when missing); other strings render as text. Keys and non-string leaves are left as they are.
    """
    missing: list[Ref] = []
    rendered = _render(value, scope, missing)
    return rendered, unique(missing)


def _render(value: Any, scope: Scope, missing: list[Ref]) -> Any:
    if isinstance(value, str):
        result, absent = parse_template(value).render_with_missing(scope)
        missing.extend(absent)
        return result
    if isinstance(value, Mapping):
        return {key: _render(item, scope, missing) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_render(item, scope, missing) for item in value]
    return value


def _strings(value: Any, path: str) -> list[tuple[str, str]]:
    if isinstance(value, str):
        return [(path, value)]
    found: list[tuple[str, str]] = []
    if isinstance(value, Mapping):
        for key, item in value.items():
            found.extend(_strings(item, f"{path}.{key}" if path else str(key)))
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            found.extend(_strings(item, f"{path}[{index}]"))
    return found
