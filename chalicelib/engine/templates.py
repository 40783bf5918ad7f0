"""Payload templates: ``Parameters`` and ``ResultSelector`` with ``.$`` keys."""

from __future__ import annotations

from typing import Any

from chalicelib.engine import intrinsics, paths


def render(template: Any, data: Any, context: Any) -> Any:
    """Evaluate a payload template against ``data`` (``$``) and the context object (``$$``)."""
    if isinstance(template, dict):
        out: dict[str, Any] = {}
        for key, value in template.items():
            if key.endswith(".$") and isinstance(value, str):
                out[key[:-2]] = dynamic(value, data, context)
            else:
                out[key] = render(value, data, context)
        return out
    if isinstance(template, list):
        return [render(v, data, context) for v in template]
    return template


def dynamic(expr: str, data: Any, context: Any) -> Any:
    """The value of one ``.$`` expression: an intrinsic call or a path."""
    if intrinsics.is_intrinsic(expr):
        return intrinsics.evaluate(expr, data, context)
    return paths.read(expr, data, context)


def problems(template: Any, where: str = "") -> list[str]:
    """Every ``.$`` value that is neither a readable JSONPath nor a supported intrinsic."""
    found: list[str] = []
    if isinstance(template, dict):
        for key, value in template.items():
            here = f"{where}.{key}" if where else key
            if key.endswith(".$"):
                if not isinstance(value, str):
                    found.append(f"{here}: a '.$' key needs a string value")
                elif intrinsics.is_intrinsic(value):
                    try:
                        intrinsics.parse(value)
                    except ValueError as exc:
                        found.append(f"{here}: {exc}")
                elif (msg := paths.validate_path(value)) is not None:
                    found.append(f"{here}: {msg}")
            else:
                found.extend(problems(value, here))
    elif isinstance(template, list):
        for i, value in enumerate(template):
            found.extend(problems(value, f"{where}[{i}]"))
    return found
