"""Text from outside made safe to keep: JSON may spell lone UTF-16 surrogates (``"\\ud800"``),
which Python decodes into a ``str`` that no UTF-8 writer (SQLite, DynamoDB, Slack, a log line)
can encode. They are replaced once, where the body is read, so nothing downstream crashes."""

from __future__ import annotations

from typing import Any

REPLACEMENT = "\ufffd"


def _replaced(text: str) -> str:
    # json.loads joins valid surrogate pairs into one character, so any surrogate left is lone.
    # Only a string with one fails to encode: the common case costs one encode and no regex
    # (compiling one at import cost the webhook path half a millisecond of cold start).
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "".join(REPLACEMENT if "\ud800" <= c <= "\udfff" else c for c in text)
    return text


def without_lone_surrogates(document: Any) -> Any:
    """The same JSON value with every lone surrogate in its strings and keys replaced by U+FFFD."""
    if isinstance(document, str):
        return _replaced(document)
    if isinstance(document, list):
        return [without_lone_surrogates(item) for item in document]
    if isinstance(document, dict):
        return {without_lone_surrogates(k): without_lone_surrogates(v) for k, v in document.items()}
    return document


def object_without_lone_surrogates(document: dict[str, Any]) -> dict[str, Any]:
    """:func:`without_lone_surrogates` for a JSON object."""
    return {without_lone_surrogates(k): without_lone_surrogates(v) for k, v in document.items()}
