"""The agent's tool set, built from its ``tools:`` list: one tool per entry, by type."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chalicelib.agents.options import AgentRunOptions
from chalicelib.agents.tools.base import Tool, ToolOutcome
from chalicelib.agents.tools.http import HTTPTool, http_config_from
from chalicelib.agents.tools.kubernetes import KubernetesTool, kubernetes_config_from
from chalicelib.agents.tools.mcp import MCPTool, mcp_config_from
from chalicelib.agents.tools.shell import ShellTool, shell_config_from
from chalicelib.agents.types import ToolDefinition


def _config_dict(config: Any) -> dict[str, Any]:
    if config is None:
        return {}
    if hasattr(config, "model_dump"):
        return dict(config.model_dump())
    return dict(config)


class ToolSet:
    """The agent's tools by exposed function name; closes what it started."""

    def __init__(self) -> None:
        self.tools: list[Tool] = []
        self._by_name: dict[str, Tool] = {}

    def add(self, tool: Tool) -> None:
        self.tools.append(tool)
        for definition in tool.definitions():
            self._by_name.setdefault(definition.name, tool)

    def definitions(self) -> list[ToolDefinition]:
        seen: dict[str, ToolDefinition] = {}
        for tool in self.tools:
            for d in tool.definitions():
                seen.setdefault(d.name, d)
        return list(seen.values())

    def get(self, name: str) -> Tool | None:
        tool = self._by_name.get(name)
        if tool is None:
            return None
        # A dead MCP server no longer lists its functions: treat them as unknown.
        return tool if any(d.name == name for d in tool.definitions()) else None

    def close(self) -> None:
        for tool in self.tools:
            try:
                tool.close()
            except Exception:  # noqa: S112 - closing must not hide the run's own result
                continue


def build_toolset(specs: list[Any], options: AgentRunOptions, warn: Callable[[str], None]) -> ToolSet:
    toolset = ToolSet()
    kube: KubernetesTool | None = None

    def kubernetes() -> KubernetesTool:
        nonlocal kube
        if kube is None:
            kube = KubernetesTool(kubernetes_config_from({}, options.kubeconfig))
        return kube

    def kubectl_fallback(argv: list[str]) -> ToolOutcome:
        return kubernetes().invoke_kubectl(argv)

    def lookup(name: str) -> str | None:
        if name == "KUBECONFIG":
            return options.kubeconfig
        return options.env.get(name)

    for index, spec in enumerate(specs):
        kind = getattr(spec, "type", None) or (spec.get("type") if isinstance(spec, dict) else None)
        raw = _config_dict(getattr(spec, "config", None) if not isinstance(spec, dict) else spec.get("config"))
        if kind == "Shell":
            toolset.add(ShellTool(shell_config_from(raw, options.kubeconfig, options.search_path), kubectl_fallback))
        elif kind == "HTTP":
            toolset.add(HTTPTool(http_config_from(raw, options.allowed_hosts)))
        elif kind == "Kubernetes":
            kube = KubernetesTool(kubernetes_config_from(raw, options.kubeconfig))
            toolset.add(kube)
        elif kind == "MCP":
            mcp_tool = MCPTool(mcp_config_from(raw, lookup, index, options.mcp_startup_timeout_seconds), warn)
            mcp_tool.start()
            toolset.add(mcp_tool)
        else:
            warn(f"unknown tool type {kind!r} ignored")
    return toolset
