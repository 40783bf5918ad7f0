"""JSONPath through jsonpath-ng: reading paths, writing reference paths (ResultPath).

Parsed expressions are cached: a run evaluates the same few paths thousands of times and
jsonpath-ng's parser is slow.
"""

from __future__ import annotations

import copy
import json
from functools import lru_cache
from typing import Any

from jsonpath_ng import Child, Fields, Index, Root, This
from jsonpath_ng.ext.parser import parse as _parse
from jsonpath_ng.jsonpath import JSONPath

from .errors import StatesError

_MISSING = object()


@lru_cache(maxsize=4096)
def compile_path(path: str) -> JSONPath:
    """Parse a JSONPath (``$...``); a ``$$`` context path is parsed without its first ``$``."""
    if not path.startswith("$"):
        raise ValueError(f"a path must start with '$': {path!r}")
    text = path[1:] if path.startswith("$$") else path
    return _parse(text)


@lru_cache(maxsize=4096)
def reference_steps(path: str) -> tuple[str | int, ...]:
    """The keys/indices of a *reference path* (single node, no wildcards): ``$.a['b-c'][0]``."""
    steps: list[str | int] = []

    def walk(node: JSONPath) -> None:
        if isinstance(node, Root | This):
            return
        if isinstance(node, Child):
            walk(node.left)
            walk(node.right)
            return
        if isinstance(node, Fields) and len(node.fields) == 1 and node.fields[0] != "*":
            steps.append(node.fields[0])
            return
        if isinstance(node, Index) and len(node.indices) == 1:
            steps.append(int(node.indices[0]))
            return
        raise ValueError(f"not a reference path (single node expected): {path!r}")

    walk(compile_path(path))
    return tuple(steps)


def is_definite(path: str) -> bool:
    try:
        reference_steps(path)
    except ValueError:
        return False
    return True


def validate_path(path: str) -> str | None:
    """An error message if ``path`` is not a JSONPath jsonpath-ng can read, else ``None``."""
    try:
        compile_path(path)
    except Exception as exc:
        return f"invalid JSONPath {path!r}: {exc}"
    return None


def read(path: str, data: Any, context: Any = None) -> Any:
    """Value at ``path`` (``$$...`` reads the context object); States.Runtime if absent."""
    source = context if path.startswith("$$") else data
    if path in ("$", "$$"):
        return source
    if is_definite(path):
        value = _walk(source, reference_steps(path))
        if value is _MISSING:
            raise StatesError(
                "States.Runtime",
                f"The JSONPath {path!r} could not be found in the input {_short(source)}",
            )
        return value
    return [m.value for m in compile_path(path).find(source)]


def exists(path: str, data: Any) -> bool:
    if is_definite(path):
        return _walk(data, reference_steps(path)) is not _MISSING
    return bool(compile_path(path).find(data))


def _walk(value: Any, steps: tuple[str | int, ...]) -> Any:
    for step in steps:
        if isinstance(step, int):
            if not isinstance(value, list) or not -len(value) <= step < len(value):
                return _MISSING
            value = value[step]
        else:
            if not isinstance(value, dict) or step not in value:
                return _MISSING
            value = value[step]
    return value


def select(path: str | None, data: Any) -> Any:
    """InputPath/OutputPath semantics: ``None`` (JSON null) gives ``{}``, ``$`` the whole input."""
    if path is None:
        return {}
    return read(path, data)


def merge_result(path: str | None, state_input: Any, result: Any) -> Any:
    """ResultPath semantics: ``None`` discards the result, ``$`` replaces, else writes into a copy."""
    if path is None:
        return state_input
    steps = reference_steps(path)
    if not steps:
        return result
    if not isinstance(state_input, dict):
        raise StatesError(
            "States.ResultPathMatchFailure",
            f"Unable to apply ResultPath {path!r} to input {_short(state_input)}",
        )
    root: Any = copy.copy(state_input)
    node = root
    for i, step in enumerate(steps):
        last = i == len(steps) - 1
        if isinstance(step, int):
            if not isinstance(node, list) or not -len(node) <= step < len(node):
                raise StatesError("States.ResultPathMatchFailure", f"Unable to apply ResultPath {path!r}")
        elif not isinstance(node, dict):
            raise StatesError("States.ResultPathMatchFailure", f"Unable to apply ResultPath {path!r}")
        if last:
            node[step] = result
            break
        child = node[step] if (isinstance(step, int) or step in node) else {}
        # Copy each level on the way down so the caller's input is never mutated.
        child = copy.copy(child) if isinstance(child, dict | list) else {}
        node[step] = child
        node = child
    return root


def _short(value: Any) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= 200 else text[:200] + "..."
