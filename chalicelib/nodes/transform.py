"""The ``Transform`` node: set run variables and write run artifacts, with no shell involved."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from ..expr import MISSING, Literal, Ref, parse_template, to_text
from ..expr.evaluate import Unknown, evaluate_expr
from ..spec.references import node_key
from ..transform.script import Export, WriteFile, parse_script
from .models import NodeInput, NodeOutput
from .scope import StateScope

_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


class ArtifactSink(Protocol):
    def put_artifact(self, run_id: str, name: str, content: bytes | str, content_type: str = ...) -> str: ...


def _render(text: str, scope: StateScope, *, json_strings: bool) -> tuple[Any, list[str]]:
    """Render a template; inside JSON documents string values are escaped so titles stay text."""
    template = parse_template(text)
    missing: list[str] = []
    if template.is_single_expression and not json_strings:
        value = template.render_value(scope)
        missing = [r.dotted for r in template.references() if scope.lookup(r) is MISSING and r.default is None]
        return value, missing
    out: list[str] = []
    for part in template.parts:
        if isinstance(part, str):
            out.append(part)
            continue
        value = _value(part, scope)
        if value is MISSING or isinstance(value, Unknown):
            if isinstance(part, Ref) and part.default is not None:
                value = part.default
            else:
                missing.append(part.dotted if isinstance(part, Ref) else "expression")
                value = ""
        text_value = to_text(value)
        if json_strings:
            text_value = json.dumps(text_value, ensure_ascii=False)[1:-1]
        out.append(text_value)
    return "".join(out), missing


def _value(expr: Any, scope: StateScope) -> Any:
    if isinstance(expr, Ref):
        value = scope.lookup(expr)
        if expr.default is not None and (value is MISSING or value is None or value == ""):
            return expr.default
        return value
    if isinstance(expr, Literal):
        return expr.value
    return evaluate_expr(expr, scope)


def _export(export: Export, scope: StateScope) -> tuple[Any, list[str]]:
    if not export.is_template:
        return export.value, []
    value, missing = _render(str(export.value), scope, json_strings=False)
    return value, missing


def _write(write: WriteFile, scope: StateScope, now: datetime) -> tuple[str, str, list[str]]:
    path, missing_path = _render(write.path, scope, json_strings=False)
    as_json = str(path).endswith(".json")
    content, missing = _render(write.content, scope, json_strings=as_json)
    for token, fmt in write.dates.items():
        content = str(content).replace(token, now.strftime(fmt))
    return str(path), str(content), [*missing_path, *missing]


def _write_file(files_dir: Path, path: str, content: str) -> Path:
    """The file really written, under ``files_dir`` and by its base name only: the name comes
    from the incident (``incident-${INCIDENT_ID}.json``), so no part of it may choose a directory."""
    name = _SAFE_NAME.sub("-", path.rsplit("/", 1)[-1]).strip(".-") or "file"
    files_dir.mkdir(parents=True, exist_ok=True)
    target = files_dir / name
    partial = target.with_name(f".{name}.partial")
    partial.write_text(content, encoding="utf-8")
    partial.replace(target)  # a reader never sees half a file
    return target


def handle(
    event: NodeInput,
    *,
    artifacts: ArtifactSink | None = None,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    env: Mapping[str, str] | None = None,
    files_dir: Path | None = None,
) -> NodeOutput:
    script = parse_script(str(event.node.config.get("script", "")), event.node.id)
    now = clock()
    state = json.loads(json.dumps(event.state))
    state.setdefault("vars", {})
    state.setdefault("nodes", {})
    exported: dict[str, Any] = {}
    written: list[dict[str, Any]] = []
    warnings: list[str] = []
    for statement in script.statements:
        scope = StateScope(state, now=now, started_at=event.context.started_at or None)
        if isinstance(statement, Export):
            value, missing = _export(statement, scope)
            exported[statement.name] = value
            state["vars"][statement.name] = value
            warnings.extend(f"{statement.name}: {m} is missing" for m in missing)
        else:
            path, content, missing = _write(statement, scope, now)
            ref = None
            if artifacts is not None:
                ref = artifacts.put_artifact(event.context.run_id, path.rsplit("/", 1)[-1], content)
            entry: dict[str, Any] = {"path": path, "ref": ref, "bytes": len(content.encode())}
            if files_dir is not None:
                entry["written_to"] = str(_write_file(files_dir, path, content))
            written.append(entry)
            warnings.extend(f"{path}: {m} is missing" for m in missing)
    record = {"status": "succeeded", "output": exported, "meta": {"written": written, "warnings": warnings}}
    state["nodes"][node_key(event.node.id)] = record
    return NodeOutput(status="succeeded", output=exported, meta=record["meta"], state=state)
