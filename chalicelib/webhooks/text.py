"""Text from outside made safe to keep: JSON may spell lone UTF-16 surrogates (``"\\ud800"``),
which Python decodes into a ``str`` that no UTF-8 writer (SQLite, DynamoDB, Slack, a log line)
can encode. They are replaced once, where the body is read, so nothing downstream crashes."""

from __future__ import annotations

import re
from typing import Any

# json.loads joins valid surrogate pairs into one character, so any surrogate left is lone.
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
REPLACEMENT = "\ufffd"


def without_lone_surrogates(document: Any) -> Any:
    """The same JSON value with every lone surrogate in its strings and keys replaced by U+FFFD."""
    if isinstance(document, str):
        return _LONE_SURROGATE.sub(REPLACEMENT, document)
    if isinstance(document, list):
        return [without_lone_surrogates(item) for item in document]
    if isinstance(document, dict):
        return {without_lone_surrogates(k): without_lone_surrogates(v) for k, v in document.items()}
    return document


def object_without_lone_surrogates(document: dict[str, Any]) -> dict[str, Any]:
    """:func:`without_lone_surrogates` for a JSON object."""
    return {without_lone_surrogates(k): without_lone_surrogates(v) for k, v in document.items()}
