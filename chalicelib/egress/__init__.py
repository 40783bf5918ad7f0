"""Outbound requests a flow makes (the HTTP node, the agents' HTTP tool): which addresses they
may reach (:mod:`.addresses`) and a client that connects only to checked addresses
(:mod:`.client`)."""

from .addresses import Allowlist, check_address, checked_addresses, literal_address, never_reachable, parse_network
from .client import EgressPolicy, Response, request

__all__ = [
    "Allowlist",
    "EgressPolicy",
    "Response",
    "check_address",
    "checked_addresses",
    "literal_address",
    "never_reachable",
    "parse_network",
    "request",
]
