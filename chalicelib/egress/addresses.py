"""Which addresses a flow's outbound requests may reach.

Only public unicast addresses by default. Loopback, private, CGNAT (100.64/10), unique-local
IPv6 and the other special ranges are reachable only when the flow's allowlist names the host,
the address or a network holding it (``spec.egress.allowed_hosts``). Cloud metadata endpoints,
link-local, unspecified and multicast addresses are refused whatever the allowlist says.

An address is judged in every spelling a URL parser or libc accepts (dotted, decimal, hex,
octal, shorthand; IPv4 embedded in IPv6 as mapped, 6to4 or NAT64 is judged as that IPv4) and
again for each address a name resolves to, since a friendly name can point at 169.254.169.254.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from chalicelib.errors import ToolRefused

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str], list[str]]

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
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def system_resolver(host: str) -> list[str]:
    infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    return sorted({str(info[4][0]).split("%", 1)[0] for info in infos})


def literal_address(host: str) -> IPAddress | None:
    """``host`` as an IP address if it is one in any spelling (``0xa9fea9fe``, ``2852039166``...)."""
    host = host.strip("[]")
    try:
        return ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        pass
    try:
        # inet_aton is what libc's resolver applies to numeric hosts: it reads 0x.., 0.., shorthand.
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except OSError:
        return None


def unwrap(addr: IPAddress) -> IPAddress:
    """The IPv4 address an IPv6 address carries (mapped, 6to4, NAT64), else the address."""
    if isinstance(addr, ipaddress.IPv6Address):
        if addr.ipv4_mapped is not None:
            return addr.ipv4_mapped
        if addr.sixtofour is not None:
            return addr.sixtofour
        if addr in _NAT64:
            return ipaddress.IPv4Address(int(addr) & 0xFFFFFFFF)
    return addr


def never_reachable(addr: IPAddress) -> str | None:
    """Why ``addr`` is refused whatever the allowlist says, or None."""
    for candidate in {addr, unwrap(addr)}:
        if candidate in METADATA_ADDRESSES:
            return f"address {candidate} is a cloud metadata endpoint"
        if candidate.is_link_local:
            return f"address {candidate} is link-local"
        if candidate.is_unspecified or candidate.is_multicast:
            return f"address {candidate} is not a unicast destination"
    return None


def is_public(addr: IPAddress) -> bool:
    inner = unwrap(addr)
    return addr.is_global and inner.is_global and not inner.is_multicast


@dataclass(frozen=True)
class Allowlist:
    """Hosts (by name), addresses and networks a flow may reach beyond the public internet."""

    names: frozenset[str] = frozenset()
    networks: tuple[IPNetwork, ...] = ()

    @classmethod
    def of(cls, entries: Iterable[str]) -> Allowlist:
        names: set[str] = set()
        networks: list[IPNetwork] = []
        for entry in entries:
            text = entry.strip().lower().rstrip(".")
            network = parse_network(text)
            if network is not None:
                networks.append(network)
            elif text:
                names.add(text)
        return cls(frozenset(names), tuple(networks))

    def __bool__(self) -> bool:
        return bool(self.names or self.networks)

    def merged(self, other: Allowlist) -> Allowlist:
        return Allowlist(self.names | other.names, self.networks + other.networks)

    def covers(self, host: str, addr: IPAddress) -> bool:
        if host in self.names:
            return True
        return any(candidate in net for net in self.networks for candidate in {addr, unwrap(addr)})


def parse_network(text: str) -> IPNetwork | None:
    """An IP address (a one-address network) or a CIDR network, else None."""
    try:
        return ipaddress.ip_network(text.strip("[]"), strict=False)
    except ValueError:
        return None


def check_address(host: str, addr: IPAddress, allow: Allowlist) -> None:
    """Raise :class:`ToolRefused` unless ``addr`` (reached as ``host``) may be reached."""
    reason = never_reachable(addr)
    if reason is not None:
        raise ToolRefused(f"{host}: {reason}; refused whatever the allowlist says")
    if not is_public(addr) and not allow.covers(host, addr):
        raise ToolRefused(
            f"{host}: address {addr} is loopback, private or otherwise not public; "
            "list the host in the flow's spec.egress.allowed_hosts to reach it"
        )


def checked_addresses(host: str, allow: Allowlist, resolver: Resolver = system_resolver) -> list[IPAddress]:
    """Every address ``host`` stands for, each checked; raises if any one is refused.

    All of them, not the first: a name answering one public and one internal address would
    otherwise reach the internal one on a later connection.
    """
    host = host.rstrip(".").lower()
    if not host:
        raise ToolRefused("the URL has no host")
    if host in METADATA_HOSTS:
        raise ToolRefused(f"host {host} is a cloud metadata endpoint")
    literal = literal_address(host)
    if literal is not None:
        check_address(host, literal, allow)
        return [literal]
    try:
        resolved = [ipaddress.ip_address(text) for text in resolver(host)]
    except (OSError, ValueError) as error:
        raise ToolRefused(f"cannot resolve {host}: {error}") from error
    if not resolved:
        raise ToolRefused(f"{host} resolves to nothing")
    for addr in resolved:
        check_address(host, addr, allow)
    return resolved


_HOST_LABEL = r"(?!-)[a-z0-9-]{1,63}(?<!-)"


def allowlist_entry_problem(entry: str) -> str | None:
    """Why ``entry`` cannot be on an allowlist (for the flow's validation), or None."""
    text = entry.strip().lower().rstrip(".")
    network = parse_network(text)
    if network is not None:
        first = network.network_address
        if any(never_reachable(a) for a in (first, network.broadcast_address)) or first in METADATA_ADDRESSES:
            return f"{entry!r} is a metadata, link-local, unspecified or multicast address: never reachable"
        if network.prefixlen < (8 if network.version == 4 else 16):
            return f"{entry!r} is too wide a network to allow (at most /8 for IPv4, /16 for IPv6)"
        return None
    if text in METADATA_HOSTS:
        return f"{entry!r} is a cloud metadata endpoint: never reachable"
    if literal_address(text) is not None:
        return None
    if not re.fullmatch(rf"{_HOST_LABEL}(\.{_HOST_LABEL})*", text):
        return f"{entry!r} is not a host name, an IP address or a CIDR network"
    return None
