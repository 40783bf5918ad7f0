"""Outbound HTTP that connects only to addresses it has checked.

Checking a name and then letting the HTTP library resolve it again leaves a gap: the name can
answer a public address to the check and 169.254.169.254 to the connection (DNS rebinding).
Here the connection goes to the address that was checked (TLS still verifies the certificate
for the host name), and every redirect is a new request checked the same way.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field

from chalicelib.errors import ToolRefused

from .addresses import Allowlist, IPAddress, Resolver, checked_addresses, system_resolver

REDIRECTS = frozenset({301, 302, 303, 307, 308})
#: Headers that carry credentials: never sent on to another origin by a redirect.
CREDENTIAL_HEADERS = frozenset({"authorization", "cookie", "proxy-authorization", "x-api-key"})


@dataclass(frozen=True)
class EgressPolicy:
    allow: Allowlist = field(default_factory=Allowlist)
    resolver: Resolver = system_resolver
    #: How many redirects to follow, each checked; 0 answers with the redirect itself.
    max_redirects: int = 0


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes
    url: str


def request(
    method: str,
    url: str,
    *,
    headers: Mapping[str, str] | None = None,
    body: bytes | None = None,
    timeout: float = 10.0,
    max_bytes: int = 1_048_576,
    policy: EgressPolicy | None = None,
) -> Response:
    """Send one request (and the redirects ``policy`` allows); ``OSError`` when unreachable,
    :class:`~chalicelib.errors.ToolRefused` when a destination is refused."""
    policy = policy or EgressPolicy()
    sent_headers = dict(headers or {})
    for _hop in range(policy.max_redirects + 1):
        response = _once(method, url, sent_headers, body, timeout, max_bytes, policy)
        location = response.headers.get("Location") or response.headers.get("location")
        if response.status not in REDIRECTS or not location or _hop == policy.max_redirects:
            return response
        target = urllib.parse.urljoin(url, location)
        if _origin(target) != _origin(url):
            sent_headers = {k: v for k, v in sent_headers.items() if k.lower() not in CREDENTIAL_HEADERS}
        if response.status == 303 or (response.status in (301, 302) and method == "POST"):
            method, body = "GET", None
            sent_headers = {k: v for k, v in sent_headers.items() if k.lower() != "content-type"}
        url = target
    raise AssertionError("unreachable")  # the loop returns on its last hop


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urllib.parse.urlsplit(url)
    return parts.scheme, (parts.hostname or "").lower(), parts.port


def _once(
    method: str,
    url: str,
    headers: dict[str, str],
    body: bytes | None,
    timeout: float,
    max_bytes: int,
    policy: EgressPolicy,
) -> Response:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise ToolRefused(f"scheme {parts.scheme!r} refused: only http and https")
    if parts.username or parts.password:
        raise ToolRefused("credentials in the URL are refused; send them in a header")
    host = parts.hostname or ""
    addresses = checked_addresses(host, policy.allow, policy.resolver)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    last_error: OSError | None = None
    for address in addresses:
        connection = _connection(parts.scheme, host, port, address, timeout)
        try:
            connection.request(method, path, body=body, headers=headers)
            answer = connection.getresponse()
            data = answer.read(max_bytes)
            return Response(answer.status, dict(answer.getheaders()), data, url)
        except (OSError, http.client.HTTPException) as error:
            last_error = error if isinstance(error, OSError) else OSError(str(error))
        finally:
            connection.close()
    assert last_error is not None
    raise last_error


def _connection(scheme: str, host: str, port: int, address: IPAddress, timeout: float) -> http.client.HTTPConnection:
    connection: http.client.HTTPConnection
    if scheme == "https":
        connection = http.client.HTTPSConnection(host, port, timeout=timeout, context=ssl.create_default_context())
    else:
        connection = http.client.HTTPConnection(host, port, timeout=timeout)

    # http.client connects through this hook; the Host header and TLS (SNI, certificate) keep
    # the name, only the socket goes to the address that was checked.
    def connect_checked(
        target: tuple[str, int], timeout: float | None = None, source: tuple[str, int] | None = None
    ) -> socket.socket:
        return socket.create_connection((str(address), target[1]), timeout, source)

    connection._create_connection = connect_checked  # type: ignore[attr-defined]
    return connection
