"""Plain data shared by the loop, the providers and the tools (no SDK imports here)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

ActionKind = Literal["read", "write", "destructive"]

#: A conversation block, in a provider-neutral shape close to the Anthropic Messages API:
#: ``{"type": "text", "text"}``, ``{"type": "tool_use", "id", "name", "input"}``,
#: ``{"type": "tool_result", "tool_use_id", "content", "is_error"}``.
Block = dict[str, Any]


@dataclass
class Message:
    role: Literal["user", "assistant"]
    content: list[Block]

    def to_dict(self) -> dict[str, Any]:
        return {"role": self.role, "content": self.content}


@dataclass(frozen=True)
class ToolDefinition:
    """What the model sees of a tool."""

    name: str
    description: str
    input_schema: dict[str, Any]


@dataclass(frozen=True)
class ToolUse:
    id: str
    name: str
    input: dict[str, Any]


@dataclass
class ModelRequest:
    system: str
    messages: list[Message]
    tools: list[ToolDefinition]
    temperature: float | None = None
    max_tokens: int = 4096
    timeout_seconds: float = 60.0
    #: The schema the answer must match; LLMs read it from the instructions, ``builtin:`` uses it.
    output_schema: dict[str, Any] | None = None


@dataclass
class ModelResponse:
    text: str
    tool_uses: list[ToolUse]
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    stop_reason: str | None = None
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Action:
    """A tool call that acts on the world, as the safety gate sees it."""

    kind: ActionKind
    verb: str
    tool: str
    target: str | None = None
    namespace: str | None = None
    argv: tuple[str, ...] = ()
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class ToolCallRecord:
    name: str
    input: dict[str, Any]
    output_summary: str
    ok: bool
    error: str | None
    action_kind: ActionKind | None
    duration_ms: float
    snapshot: dict[str, Any] | None = None
    refused: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "input": self.input,
            "output_summary": self.output_summary,
            "ok": self.ok,
            "error": self.error,
            "action_kind": self.action_kind,
            "duration_ms": round(self.duration_ms, 1),
            "snapshot": self.snapshot,
            "refused": self.refused,
        }


@dataclass
class ModelCallRecord:
    provider: str
    model: str
    input_tokens: int
    output_tokens: int
    cache_read_tokens: int
    latency_ms: float
    cache_write_tokens: int = 0
    ok: bool = True
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "provider": self.provider,
            "model": self.model,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cache_read_tokens": self.cache_read_tokens,
            "cache_write_tokens": self.cache_write_tokens,
            "latency_ms": round(self.latency_ms, 1),
            "ok": self.ok,
            "error": self.error,
        }


@dataclass
class AgentResult:
    output: dict[str, Any]
    text: str
    tool_calls: list[ToolCallRecord] = field(default_factory=list)
    model_calls: list[ModelCallRecord] = field(default_factory=list)
    fallback_used: str | None = None
    warnings: list[str] = field(default_factory=list)
    model: str = ""
    iterations: int = 0
    #: Set when the run was stopped before the agent answered: why (its output is then empty).
    stopped: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "output": self.output,
            "text": self.text,
            "tool_calls": [t.to_dict() for t in self.tool_calls],
            "model_calls": [m.to_dict() for m in self.model_calls],
            "fallback_used": self.fallback_used,
            "warnings": list(self.warnings),
            "model": self.model,
            "iterations": self.iterations,
            "stopped": self.stopped,
        }


@dataclass
class ToolOutcome:
    """A tool's answer. ``output`` goes back to the model; ``snapshot`` to the caller's store."""

    output: str
    ok: bool = True
    error: str | None = None
    snapshot: dict[str, Any] | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
