"""What every tool offers the loop: definitions for the model, classification, invocation."""

from __future__ import annotations

from typing import Any, Protocol

from chalicelib.agents.types import Action, ToolDefinition, ToolOutcome

__all__ = ["Tool", "ToolOutcome", "cap_output"]


class Tool(Protocol):
    def definitions(self) -> list[ToolDefinition]:
        """The functions this tool exposes to the model (an MCP server may expose many)."""

    def classify(self, name: str, arguments: dict[str, Any]) -> Action:
        """The action a call would take; raises ``ToolRefused`` when it must not run at all."""

    def invoke(self, name: str, arguments: dict[str, Any]) -> ToolOutcome:
        """Run an already-classified and gated call."""

    def close(self) -> None: ...


def cap_output(text: str, max_bytes: int) -> str:
    """Keep at most ``max_bytes`` of UTF-8, marking the cut so the model knows output is missing."""
    data = text.encode("utf-8", errors="replace")
    if len(data) <= max_bytes:
        return text
    kept = data[:max_bytes].decode("utf-8", errors="ignore")
    return f"{kept}\n[... output truncated: {len(data) - max_bytes} of {len(data)} bytes omitted ...]"
