"""The HTTP tool: GET/POST with a timeout, no redirects, only to addresses the agent may reach.

Addresses are judged by :mod:`chalicelib.egress` in every spelling (dotted, decimal, hex, octal,
IPv4 inside IPv6) and after DNS resolution, and the connection goes to the address that was
checked, so a name cannot answer one address to the check and another to the connection.
Loopback, private and other internal addresses need an ``allowed_hosts`` entry (the agent's
own, or its flow's ``spec.egress.allowed_hosts``); metadata and link-local endpoints are refused
whatever the configuration says. A redirect is answered to the model, never followed.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from chalicelib import egress
from chalicelib.agents.tools.base import ToolOutcome, cap_output
from chalicelib.agents.types import Action, ToolDefinition
from chalicelib.egress import Allowlist, EgressPolicy, checked_addresses
from chalicelib.egress.addresses import Resolver, system_resolver
from chalicelib.errors import ToolRefused

TOOL_NAME = "http"


@dataclass
class HTTPConfig:
    timeout_seconds: float = 10.0
    allowed_hosts: list[str] = field(default_factory=list)
    max_output_bytes: int = 65536
    resolver: Resolver = system_resolver

    def policy(self) -> EgressPolicy:
        return EgressPolicy(allow=Allowlist.of(self.allowed_hosts), resolver=self.resolver, max_redirects=0)


def check_url(url: str, config: HTTPConfig) -> str:
    """Refuse ``url`` unless it is http(s) to an address the agent may reach; returns the host."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise ToolRefused(f"scheme {parts.scheme!r} refused: only http and https")
    host = (parts.hostname or "").rstrip(".").lower()
    checked_addresses(host, config.policy().allow, config.resolver)
    return host


class HTTPTool:
    def __init__(self, config: HTTPConfig) -> None:
        self.config = config

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
        host = check_url(url, self.config)
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
        body = arguments.get("body")
        headers = {str(k): str(v) for k, v in (arguments.get("headers") or {}).items()}
        try:
            # Checked again here, and connected to the checked address: classify may have run
            # long ago, and DNS may answer differently now.
            response = egress.request(
                method,
                url,
                headers=headers,
                body=str(body).encode() if body is not None else None,
                timeout=self.config.timeout_seconds,
                max_bytes=self.config.max_output_bytes + 1,
                policy=self.config.policy(),
            )
        except OSError as exc:
            return ToolOutcome(output="", ok=False, error=f"request failed: {exc}")
        text = response.body.decode("utf-8", errors="replace")
        output = cap_output(f"HTTP {response.status}\n{text}", self.config.max_output_bytes)
        if not 200 <= response.status < 300:
            return ToolOutcome(
                output=output, ok=False, error=f"HTTP {response.status}", metadata={"status": response.status}
            )
        return ToolOutcome(output=output, metadata={"status": response.status})

    def close(self) -> None:
        return None


def http_config_from(raw: Mapping[str, Any] | None, flow_allowed_hosts: Iterable[str] = ()) -> HTTPConfig:
    """The tool's configuration; the flow's allowlist (when the agent runs in one) is added."""
    raw = dict(raw or {})
    return HTTPConfig(
        timeout_seconds=float(raw.get("timeout_seconds") or 10),
        allowed_hosts=[str(h) for h in raw.get("allowed_hosts") or []] + [str(h) for h in flow_allowed_hosts],
    )
