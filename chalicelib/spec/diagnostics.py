"""Turn pydantic validation errors into ``file:line: path: message`` with suggestions."""

from __future__ import annotations

import difflib
import types
import typing
from typing import Any

from pydantic import BaseModel, ValidationError

from .yaml_source import Path, SourceDocument


def _unwrap(annotation: Any) -> Any:
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    return annotation


def _members(annotation: Any) -> list[Any]:
    annotation = _unwrap(annotation)
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return [_unwrap(a) for a in typing.get_args(annotation) if a is not type(None)]
    return [annotation]


def _tag_of(model: type[BaseModel]) -> str | None:
    field = model.model_fields.get("type")
    if field is None:
        return None
    args = typing.get_args(field.annotation)
    return str(args[0]) if typing.get_origin(field.annotation) is typing.Literal and args else None


def _field_names(model: type[BaseModel]) -> list[str]:
    return [f.alias or name for name, f in model.model_fields.items()]


def _step(annotation: Any, part: str | int) -> Any:
    for member in _members(annotation):
        origin = typing.get_origin(member)
        if isinstance(member, type) and issubclass(member, BaseModel):
            for name, field in member.model_fields.items():
                if part in (name, field.alias):
                    return field.annotation
            continue
        if origin is list and isinstance(part, int):
            return typing.get_args(member)[0]
        if origin is dict and isinstance(part, str):
            return typing.get_args(member)[1]
    # A union member named by its tag or class name: pydantic puts it in the location.
    for member in _members(annotation):
        if isinstance(member, type) and issubclass(member, BaseModel):
            if part in (_tag_of(member), member.__name__):
                return member
    return None


def _valid_names(root: type[BaseModel], loc: tuple[str | int, ...]) -> list[str]:
    current: Any = root
    for part in loc:
        current = _step(current, part)
        if current is None:
            return []
    names: list[str] = []
    for member in _members(current):
        if isinstance(member, type) and issubclass(member, BaseModel):
            names.extend(_field_names(member))
    return names


def _data_path(data: Any, loc: tuple[str | int, ...]) -> Path:
    """Drop the union tags pydantic inserts, keeping only keys present in the data."""
    path: list[str | int] = []
    current = data
    for part in loc:
        if isinstance(current, dict) and part in current:
            current = current[part]
            path.append(part)
        elif isinstance(current, list) and isinstance(part, int) and 0 <= part < len(current):
            current = current[part]
            path.append(part)
        elif isinstance(current, dict | list):
            # Either a union tag (skip) or the missing/unknown key itself (keep, it ends the path).
            if isinstance(part, str) and part[:1].isupper():
                continue
            path.append(part)
            current = None
        else:
            path.append(part)
            current = None
    return tuple(path)


def render_path(data: Any, path: Path) -> str:
    """``spec.nodes[diagnose].config.input``: list items named by their ``id`` when they have one."""
    out = ""
    current = data
    for part in path:
        if isinstance(part, int):
            label: str | int = part
            if isinstance(current, list) and 0 <= part < len(current):
                item = current[part]
                if isinstance(item, dict) and isinstance(item.get("id"), str):
                    label = item["id"]
                current = item
            else:
                current = None
            out += f"[{label}]"
        else:
            out += f".{part}" if out else str(part)
            current = current.get(part) if isinstance(current, dict) else None
    return out or "(document)"


_TYPED_LISTS = {"nodes": "node ", "tools": "tool ", "trigger": "trigger "}


def suggest(word: str, choices: list[str]) -> str | None:
    matches = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return matches[0] if matches else None


def describe_validation_error(error: ValidationError, model: type[BaseModel], doc: SourceDocument) -> list[str]:
    """One ``file:line: path: message`` line per problem pydantic found."""
    lines: list[str] = []
    for item in error.errors(include_url=False):
        loc = tuple(item["loc"])
        path = _data_path(doc.data, loc)
        where = f"{doc.file}:{doc.line_of(path)}"
        shown = render_path(doc.data, path)
        kind = item["type"]
        if kind == "extra_forbidden":
            field = str(loc[-1])
            valid = _valid_names(model, loc[:-1])
            hint = suggest(field, valid)
            message = f"unknown field '{field}'"
            if hint:
                message += f" (did you mean '{hint}'?)"
            elif valid:
                message += f"; valid fields here: {', '.join(sorted(valid))}"
        elif kind == "union_tag_invalid":
            ctx = item.get("ctx", {})
            key = str(ctx.get("discriminator", "type")).strip("'")
            where = f"{doc.file}:{doc.line_of((*path, key))}"
            tag = str(ctx.get("tag", ""))
            expected = [t.strip(" '") for t in str(ctx.get("expected_tags", "")).split(",")]
            hint = suggest(tag, expected)
            # Say what kind of thing the type is of (a node, a tool, a trigger), as the docs do.
            of = next((w for part, w in _TYPED_LISTS.items() if part in loc), "")
            message = f"unknown {of}{key} '{tag}'"
            message += f" (did you mean '{hint}'?)" if hint else f"; expected one of {', '.join(expected)}"
        elif kind == "missing":
            message = f"missing required field '{loc[-1]}'"
            shown = render_path(doc.data, path[:-1]) if len(path) > 1 else "(document)"
        else:
            message = str(item["msg"])
            if message.startswith("Value error, "):
                message = message[len("Value error, ") :]
        lines.append(f"{where}: {shown}: {message}")
    return lines
