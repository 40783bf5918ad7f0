"""How large a request body each route accepts, and the checks made before a body is read.

A route answers 413 from the declared ``Content-Length`` alone, before reading a byte of the
body; with no length given (chunked) at most the limit is read. Only then is the signature
checked, and only a signed body is parsed. ``aofctl serve`` applies this at the socket
(:mod:`chalicelib.cli.serve_cmd`); the Chalice routes apply it to what API Gateway hands them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from chalicelib.errors import BadRequest, PayloadTooLarge

#: PagerDuty's webhook payloads are a few KB; Slack's block_actions carry the whole message
#: (at most 50 blocks of 3,000 characters), form-encoded: 1 MiB leaves room for both.
MAX_WEBHOOK_BYTES = 1024 * 1024
#: Any other path (``/healthz``, unknown paths) takes no body worth reading.
MAX_OTHER_BYTES = 16 * 1024

ROUTE_LIMITS: dict[str, int] = {
    "/pagerduty/webhook": MAX_WEBHOOK_BYTES,
    "/slack/interactivity": MAX_WEBHOOK_BYTES,
    "/slack/events": MAX_WEBHOOK_BYTES,
}


def limit_for(path: str) -> int:
    """The body limit of ``path`` (query string ignored)."""
    return ROUTE_LIMITS.get(path.split("?", 1)[0].rstrip("/") or "/", MAX_OTHER_BYTES)


def declared_length(headers: Mapping[str, str]) -> int | None:
    """The ``Content-Length`` a client declared, or None; a malformed one is a bad request."""
    raw = next((v for k, v in headers.items() if k.lower() == "content-length"), None)
    if raw is None:
        return None
    text = raw.strip()
    if not text.isdigit() or len(text) > 15:
        raise BadRequest("Content-Length is not a byte count")
    return int(text)


def check_declared(headers: Mapping[str, str], limit: int) -> None:
    """Raise :class:`PayloadTooLarge` when the declared length is over ``limit``."""
    length = declared_length(headers)
    if length is not None and length > limit:
        raise PayloadTooLarge(too_large(length, limit))


def check_size(body: bytes, limit: int) -> None:
    if len(body) > limit:
        raise PayloadTooLarge(too_large(len(body), limit))


def too_large(size: int, limit: int) -> str:
    return f"body is {size} bytes; the limit is {limit}"


def bounded_body(headers: Mapping[str, str], read: Callable[[], bytes], limit: int) -> bytes:
    """The body, read only once its declared length is within ``limit``, and checked again."""
    check_declared(headers, limit)
    body = read()
    check_size(body, limit)
    return body
