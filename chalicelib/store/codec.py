"""JSON encoding shared by both backends.

Records are stored as compact JSON text: SQLite keeps it in a ``data`` column, DynamoDB in a
``data`` string attribute. One encoding means floats need no ``Decimal`` dance and both backends
return exactly what was given.
"""

from __future__ import annotations

import json
from typing import Any

from chalicelib.store.errors import RecordTooLarge

#: DynamoDB caps an item at 400 KB including key and index attributes; leave room for them.
#: SQLite enforces the same cap so the two backends behave alike.
MAX_RECORD_BYTES = 350_000


def dumps(value: Any) -> str:
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    size = len(text.encode("utf-8"))
    if size > MAX_RECORD_BYTES:
        raise RecordTooLarge(
            f"record is {size} bytes, over the {MAX_RECORD_BYTES} byte limit; "
            "put large output in the artifact store and keep a reference",
            size=size,
            limit=MAX_RECORD_BYTES,
        )
    return text


def loads(text: str) -> Any:
    return json.loads(text)


def composite(*parts: str) -> str:
    """An unambiguous key from several free-text parts (``"a#b","c"`` differs from ``"a","b#c"``)."""
    return json.dumps(list(parts), separators=(",", ":"), ensure_ascii=False)
