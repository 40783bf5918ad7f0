"""Framework-agnostic request and response for the webhook handlers.

The Chalice routes (and ``aofctl serve``) adapt their own request objects to these, so the
handlers never import a web framework.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from chalicelib.errors import AofError, ServiceUnavailable
from chalicelib.record import Record, field


class Headers(Mapping[str, str]):
    """Read-only, case-insensitive header mapping (HTTP header names are case-insensitive)."""

    def __init__(self, raw: Mapping[str, str] | None = None) -> None:
        self._items: dict[str, tuple[str, str]] = {}
        for name, value in (raw or {}).items():
            self._items[name.lower()] = (name, value)

    def __getitem__(self, name: str) -> str:
        return self._items[name.lower()][1]

    def __iter__(self) -> Iterator[str]:
        return (original for original, _ in self._items.values())

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._items

    def __repr__(self) -> str:
        # Header values may hold credentials (Authorization): never show them.
        return f"Headers({sorted(self._items)})"


class WebhookRequest(Record):
    """An inbound HTTP request: headers (any case) and the raw body bytes, exactly as received.

    Signatures are computed over the raw bytes, so the body must not be re-encoded.
    """

    headers: Mapping[str, str]
    body: bytes

    def __post_init__(self) -> None:
        if not isinstance(self.headers, Headers):
            object.__setattr__(self, "headers", Headers(self.headers))

    def header(self, name: str, default: str | None = None) -> str | None:
        return self.headers.get(name, default)


class WebhookResponse(Record):
    status: int
    body: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_error(cls, error: AofError) -> WebhookResponse:
        # ``details`` are built by our own code (field paths, ids), never from secrets.
        return cls(error.status_code, error.to_dict())


class RetryLater(ServiceUnavailable):
    """A port failed with something other than our own errors: answer 503 so the sender retries."""

    status_code = 503
