"""Output schemas: derived from the tutorial's "Output format" block, and validated answers.

The tutorial's agents describe their answer as a pseudo-JSON template inside the instructions::

    "severity": "critical|high|medium|low",     -> enum
    "requires_approval": true|false,            -> boolean
    "confidence": 0.0-1.0                       -> number in [0, 1]
    "affected_components": ["pod-name", ...]    -> array of strings
    "root_cause": "Brief description"           -> string

The template is not valid JSON (``true|false``), so it is read line by line.
"""

from __future__ import annotations

import json
import re
from typing import Any

# jsonschema (53 ms) is imported only when an answer is validated against a schema.

_FORMAT_RE = re.compile(r"output\s+format\s*:?\s*(?:```(?:json)?)?\s*(\{.*?\n\s*\})", re.I | re.S)
_FIELD_RE = re.compile(r'^\s*"(?P<key>[A-Za-z_][\w-]*)"\s*:\s*(?P<value>.+?)\s*,?\s*$')
_RANGE_RE = re.compile(r"^(-?\d+(?:\.\d+)?)\s*-\s*(-?\d+(?:\.\d+)?)$")
_ENUM_RE = re.compile(r"^[\w.-]+(\|[\w.-]+)+$")


def derive_schema(instructions: str) -> dict[str, Any] | None:
    """The JSON Schema described by the "Output format" block, or ``None`` when there is none."""
    match = _FORMAT_RE.search(instructions)
    if not match:
        return None
    properties: dict[str, Any] = {}
    for line in match.group(1).splitlines():
        field = _FIELD_RE.match(line)
        if field:
            properties[field.group("key")] = _field_schema(field.group("value").rstrip(","))
    if not properties:
        return None
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties),
    }


def _field_schema(value: str) -> dict[str, Any]:
    value = value.strip()
    if value in ("true|false", "false|true", "true", "false"):
        return {"type": "boolean"}
    rng = _RANGE_RE.match(value)
    if rng:
        return {"type": "number", "minimum": float(rng.group(1)), "maximum": float(rng.group(2))}
    if value.startswith("["):
        return {"type": "array", "items": {"type": "string"}}
    if value.startswith('"') and value.endswith('"'):
        inner = value[1:-1]
        if _ENUM_RE.match(inner):
            return {"type": "string", "enum": inner.split("|")}
        return {"type": "string"}
    if re.fullmatch(r"-?\d+", value):
        return {"type": "integer"}
    if re.fullmatch(r"-?\d+\.\d*", value):
        return {"type": "number"}
    return {}


def validation_errors(instance: Any, schema: dict[str, Any]) -> list[str]:
    """Every way ``instance`` breaks ``schema``, as short human-readable lines (empty: valid)."""
    import jsonschema  # imported here: only a run with a schema pays for it

    validator = jsonschema.Draft202012Validator(schema)
    problems = []
    for err in sorted(validator.iter_errors(instance), key=lambda e: list(e.path)):
        where = "/".join(str(p) for p in err.path) or "(root)"
        problems.append(f"{where}: {err.message}")
    return problems


def schema_hint(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2)
