"""The HTTP tool: GET/POST with a timeout, no redirects, no metadata or link-local addresses.

Addresses are checked in every spelling a URL parser or libc accepts (dotted, decimal, hex,
octal, IPv4-mapped IPv6) and again after DNS resolution, because a friendly name can point at
169.254.169.254. Private and loopback ranges need ``allow_private`` or an ``allowed_hosts`` entry;
metadata endpoints are refused whatever the configuration says.
"""

from __future__ import annotations

import ipaddress
import socket
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from chalicelib.agents.tools.base import ToolOutcome, cap_output
from chalicelib.agents.types import Action, ToolDefinition
from chalicelib.errors import ToolRefused

TOOL_NAME = "http"
METADATA_HOSTS = frozenset(
    {
        "metadata.google.internal",
        "metadata.goog",
        "metadata",
        "instance-data",
        "instance-data.ec2.internal",
        "metadata.azure.internal",
    }
)
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a)
    for a in ("169.254.169.254", "169.254.170.2", "169.254.169.123", "100.100.100.200", "fd00:ec2::254", "fd00:ec2::23")
)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str], list[str]]


def _system_resolver(host: str) -> list[str]:
    infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    return sorted({str(info[4][0]) for info in infos})


@dataclass
class HTTPConfig:
    timeout_seconds: float = 10.0
    allow_private: bool = False
    allowed_hosts: list[str] = field(default_factory=list)
    max_output_bytes: int = 65536
    resolver: Resolver = _system_resolver


def literal_address(host: str) -> IPAddress | None:
    """``host`` as an IP address if it is one in any spelling (``0xa9fea9fe``, ``2852039166``...)."""
    host = host.strip("[]")
    try:
        addr = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        pass
    else:
        return addr
    try:
        # inet_aton is what libc's resolver applies to numeric hosts: it reads 0x.., 0.., shorthand.
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except OSError:
        return None


def _unwrap(addr: IPAddress) -> IPAddress:
    if isinstance(addr, ipaddress.IPv6Address):
        if addr.ipv4_mapped is not None:
            return addr.ipv4_mapped
        if addr.sixtofour is not None:
            return addr.sixtofour
        if addr in ipaddress.ip_network("64:ff9b::/96"):  # NAT64 embeds an IPv4 address
            return ipaddress.IPv4Address(int(addr) & 0xFFFFFFFF)
    return addr


def check_address(addr: IPAddress, *, allow_private: bool) -> None:
    addr = _unwrap(addr)
    if addr in METADATA_ADDRESSES or addr.is_link_local:
        raise ToolRefused(f"address {addr} is link-local or a cloud metadata endpoint")
    if addr.is_multicast or addr.is_unspecified or addr.is_reserved:
        raise ToolRefused(f"address {addr} is not a routable unicast address")
    if (addr.is_private or addr.is_loopback) and not allow_private:
        raise ToolRefused(f"address {addr} is private or loopback (set allow_private or allowed_hosts)")


def check_url(url: str, config: HTTPConfig) -> tuple[str, list[str]]:
    """Refuse ``url`` unless it is http(s) to an address we may reach; returns (host, addresses)."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise ToolRefused(f"scheme {parts.scheme!r} refused: only http and https")
    host = (parts.hostname or "").rstrip(".").lower()
    if not host:
        raise ToolRefused("URL has no host")
    if host in METADATA_HOSTS:
        raise ToolRefused(f"host {host} is a cloud metadata endpoint")
    allowed = host in {h.lower() for h in config.allowed_hosts}
    allow_private = config.allow_private or allowed
    literal = literal_address(host)
    if literal is not None:
        check_address(literal, allow_private=allow_private)
        return host, [str(literal)]
    try:
        resolved = config.resolver(host)
    except OSError as exc:
        raise ToolRefused(f"cannot resolve {host}: {exc}") from exc
    if not resolved:
        raise ToolRefused(f"{host} resolves to nothing")
    for text in resolved:
        check_address(ipaddress.ip_address(text.split("%", 1)[0]), allow_private=allow_private)
    return host, resolved


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        # A redirect could lead anywhere (metadata included): the model sees the 3xx instead.
        return None


class HTTPTool:
    def __init__(self, config: HTTPConfig) -> None:
        self.config = config
        self._opener = urllib.request.build_opener(_NoRedirect())

    def definitions(self) -> list[ToolDefinition]:
        return [
            ToolDefinition(
                name=TOOL_NAME,
                description="HTTP GET or POST (service health checks, runbooks). Redirects are not followed.",
                input_schema={
                    "type": "object",
                    "properties": {
                        "method": {"type": "string", "enum": ["GET", "POST"]},
                        "url": {"type": "string"},
                        "headers": {"type": "object", "additionalProperties": {"type": "string"}},
                        "body": {"type": "string"},
                    },
                    "required": ["url"],
                },
            )
        ]

    def classify(self, name: str, arguments: dict[str, Any]) -> Action:
        method = str(arguments.get("method") or "GET").upper()
        if method not in ("GET", "POST"):
            raise ToolRefused(f"method {method} refused: GET or POST only")
        url = str(arguments.get("url") or "")
        host, _ = check_url(url, self.config)
        return Action(
            kind="read" if method == "GET" else "write",
            verb=method,
            tool=TOOL_NAME,
            target=host,
            params={"url": url},
        )

    def invoke(self, name: str, arguments: dict[str, Any]) -> ToolOutcome:
        method = str(arguments.get("method") or "GET").upper()
        url = str(arguments["url"])
        check_url(url, self.config)  # again: classify may have run long ago, DNS may have changed
        body = arguments.get("body")
        headers = {str(k): str(v) for k, v in (arguments.get("headers") or {}).items()}
        request = urllib.request.Request(  # noqa: S310 - scheme checked in check_url
            url, data=str(body).encode() if body is not None else None, headers=headers, method=method
        )
        try:
            with self._opener.open(request, timeout=self.config.timeout_seconds) as resp:
                text = resp.read(self.config.max_output_bytes + 1).decode("utf-8", errors="replace")
                status = resp.status
        except urllib.error.HTTPError as exc:
            text = exc.read(self.config.max_output_bytes + 1).decode("utf-8", errors="replace")
            return ToolOutcome(
                output=cap_output(f"HTTP {exc.code}\n{text}", self.config.max_output_bytes),
                ok=False,
                error=f"HTTP {exc.code}",
                metadata={"status": exc.code},
            )
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            return ToolOutcome(output="", ok=False, error=f"request failed: {exc}")
        return ToolOutcome(
            output=cap_output(f"HTTP {status}\n{text}", self.config.max_output_bytes), metadata={"status": status}
        )

    def close(self) -> None:
        return None


def http_config_from(raw: Mapping[str, Any] | None) -> HTTPConfig:
    raw = dict(raw or {})
    return HTTPConfig(
        timeout_seconds=float(raw.get("timeout_seconds") or 10),
        allow_private=bool(raw.get("allow_private", False)),
        allowed_hosts=[str(h) for h in raw.get("allowed_hosts") or []],
    )
