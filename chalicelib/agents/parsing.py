"""Finding the JSON answer in a model's final text."""

from __future__ import annotations

import json
import re
from typing import Any

_FENCE_RE = re.compile(r"```(?:json|JSON)?\s*\n(.*?)```", re.S)


def extract_json(text: str) -> Any:
    """The JSON value in ``text``: the last fenced block that parses, else the outermost braces.

    Raises ``ValueError`` when there is none, so the loop can ask for a corrected answer.
    """
    for block in reversed(_FENCE_RE.findall(text)):
        try:
            return json.loads(block)
        except json.JSONDecodeError:
            continue
    stripped = text.strip()
    try:
        return json.loads(stripped)
    except json.JSONDecodeError:
        pass
    start, end = stripped.find("{"), stripped.rfind("}")
    if start != -1 and end > start:
        try:
            return json.loads(stripped[start : end + 1])
        except json.JSONDecodeError as exc:
            raise ValueError(f"the answer's JSON does not parse: {exc}") from exc
    raise ValueError("the answer contains no JSON object")
