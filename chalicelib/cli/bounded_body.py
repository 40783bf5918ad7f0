"""Reading a request body from a socket without trusting the client about its size.

``aofctl serve`` runs chalice's local gateway, which reads ``Content-Length`` bytes into memory
before any route runs: four parallel 300 MB posts took it past a gigabyte. Here the declared
length is checked against the route's limit before a byte of the body is read; a chunked body
is read only up to the limit; an answer that refuses a body is followed by a bounded drain, so
the client reads the 413 rather than a connection reset.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Mapping
from typing import BinaryIO

from ..errors import AofError, BadRequest, PayloadTooLarge
from ..webhooks.limits import declared_length, too_large

MAX_CHUNK_LINE = 1024
#: After a refusal, discard what the client still sends for this long at most (never kept).
LINGER_SECONDS = 2.0


class BodyRefused(Exception):
    """The body was refused before it was read; ``error`` is what the client is told."""

    def __init__(self, error: AofError) -> None:
        super().__init__(error.message)
        self.error = error


def read_bounded_body(headers: Mapping[str, str], rfile: BinaryIO, limit: int) -> tuple[dict[str, str], bytes | None]:
    """The request's headers and body, reading at most ``limit`` bytes of body.

    Raises :class:`BodyRefused` (413) for a declared length over the limit, before reading,
    and for a chunked body that grows past it; (400) for a malformed length or chunk, or for a
    request that gives both a length and chunked encoding (the two could be read differently by
    a proxy in front: request smuggling).
    """
    converted = dict(headers.items())
    encoding = next((v for k, v in converted.items() if k.lower() == "transfer-encoding"), "")
    try:
        length = declared_length(converted)
        if encoding:
            if length is not None or encoding.strip().lower() != "chunked":
                raise BadRequest("use either Content-Length or Transfer-Encoding: chunked")
            body = _read_chunked(rfile, limit)
            converted = {k: v for k, v in converted.items() if k.lower() != "transfer-encoding"}
            converted["Content-Length"] = str(len(body))
            return converted, body
        if not length:
            return converted, None
        if length > limit:
            raise PayloadTooLarge(too_large(length, limit))
        return converted, rfile.read(length)
    except (BadRequest, PayloadTooLarge) as error:
        raise BodyRefused(error) from None


def check_declared_length(headers: Mapping[str, str], limit: int) -> None:
    """Raise :class:`BodyRefused` when the declared length is malformed or over ``limit``."""
    try:
        length = declared_length(dict(headers.items()))
    except BadRequest as error:
        raise BodyRefused(error) from None
    if length is not None and length > limit:
        raise BodyRefused(PayloadTooLarge(too_large(length, limit)))


def _read_chunked(rfile: BinaryIO, limit: int) -> bytes:
    parts: list[bytes] = []
    total = 0
    while True:
        line = rfile.readline(MAX_CHUNK_LINE)
        size_text = line.split(b";", 1)[0].strip()
        try:
            size = int(size_text, 16)
        except ValueError:
            raise BadRequest("malformed chunk size") from None
        if size < 0:
            raise BadRequest("malformed chunk size")
        if size == 0:
            while rfile.readline(MAX_CHUNK_LINE) not in (b"\r\n", b"\n", b""):
                pass  # trailers: not used
            return b"".join(parts)
        if total + size > limit:
            raise PayloadTooLarge(f"chunked body exceeds the limit of {limit} bytes")
        data = rfile.read(size)
        if len(data) < size:
            raise BadRequest("chunked body ended early")
        parts.append(data)
        total += size
        rfile.readline(MAX_CHUNK_LINE)  # the CRLF after the chunk


def linger(connection: socket.socket, seconds: float = LINGER_SECONDS) -> None:
    """Stop writing, then discard what the client still sends for a moment.

    Closing a socket with unread data resets the connection, and a reset can destroy the 413
    before the client reads it. Nothing read here is kept: memory stays flat whatever is sent.
    """
    try:
        connection.shutdown(socket.SHUT_WR)
    except OSError:
        return
    deadline = time.monotonic() + seconds
    buffer = bytearray(65536)
    try:
        while (left := deadline - time.monotonic()) > 0:
            connection.settimeout(min(left, 0.25))
            if connection.recv_into(buffer) == 0:
                return
    except OSError:
        return
