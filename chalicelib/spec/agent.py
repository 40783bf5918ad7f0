"""The ``Agent`` resource: an LLM with instructions, a model, tools and memory."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator

from .common import AllowedHost, ApiVersion, Metadata, StrictModel
from .nodes import refuse_allow_private

#: Providers the agent runtime knows. ``builtin`` is the offline, rule-based model.
PROVIDERS = ("anthropic", "openai", "builtin")


def _check_model_ref(value: str) -> str:
    provider, sep, name = value.partition(":")
    if not sep or not name:
        raise ValueError(f"model must be written 'provider:model' (e.g. anthropic:claude-3-5-sonnet), got {value!r}")
    if provider not in PROVIDERS:
        raise ValueError(f"unknown model provider {provider!r}; expected one of {', '.join(PROVIDERS)}")
    return value


class ModelConfig(StrictModel):
    temperature: float | None = Field(default=None, ge=0, le=2)
    max_tokens: int | None = Field(default=None, gt=0)
    timeout_seconds: float | None = Field(default=None, gt=0)


class ShellToolConfig(StrictModel):
    allowed_commands: list[str] = Field(min_length=1)
    timeout_seconds: float = Field(default=60, gt=0)
    max_output_bytes: int = Field(default=65536, gt=0)


class MCPToolConfig(StrictModel):
    name: str | None = None
    command: list[str] | None = None
    url: str | None = None
    env: dict[str, str] = Field(default_factory=dict)
    timeout_seconds: float = Field(default=30, gt=0)
    #: The server's tools (as it names them) that only read. Every other tool is an acting
    #: call that goes through the policy gate: a server's own read-only claim is not trusted.
    read_only_tools: list[Annotated[str, Field(min_length=1)]] = Field(default_factory=list)


class HTTPToolConfig(StrictModel):
    timeout_seconds: float = Field(default=10, gt=0)
    #: Internal hosts this agent may reach wherever it runs (``aofctl agent exec`` too); in a
    #: flow, the flow's ``spec.egress.allowed_hosts`` are added.
    allowed_hosts: list[AllowedHost] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _no_blanket_switch(cls, data: Any) -> Any:
        return refuse_allow_private(data)


class KubernetesToolConfig(StrictModel):
    namespaces: list[str] | None = None


class ShellTool(StrictModel):
    type: Literal["Shell"]
    config: ShellToolConfig


class MCPTool(StrictModel):
    type: Literal["MCP"]
    config: MCPToolConfig


class HTTPTool(StrictModel):
    type: Literal["HTTP"]
    # The tutorial writes ``config:`` with only a comment under it, which YAML reads as null.
    config: HTTPToolConfig | None = None


class KubernetesTool(StrictModel):
    type: Literal["Kubernetes"]
    config: KubernetesToolConfig | None = None


ToolSpec = Annotated[ShellTool | MCPTool | HTTPTool | KubernetesTool, Field(discriminator="type")]


class MemorySpec(StrictModel):
    type: Literal["SQLite", "DynamoDB", "InMemory"]
    config: dict[str, Any] = Field(default_factory=dict)

    @field_validator("config", mode="before")
    @classmethod
    def _none_is_empty(cls, value: Any) -> Any:
        return {} if value is None else value


class AgentSpec(StrictModel):
    model: str
    fallback_model: str | None = None
    model_settings: ModelConfig = Field(default_factory=ModelConfig, alias="model_config")
    instructions: str
    tools: list[ToolSpec] = Field(default_factory=list)
    memory: MemorySpec | None = None
    output_schema: dict[str, Any] | None = None
    max_iterations: int = Field(default=10, ge=1, le=100)
    timeout_seconds: float | None = Field(default=None, gt=0)

    @field_validator("model")
    @classmethod
    def _check_model(cls, value: str) -> str:
        return _check_model_ref(value)

    @field_validator("fallback_model")
    @classmethod
    def _check_fallback(cls, value: str | None) -> str | None:
        return None if value is None else _check_model_ref(value)


class AgentResource(StrictModel):
    apiVersion: ApiVersion
    kind: Literal["Agent"]
    metadata: Metadata
    spec: AgentSpec

    @property
    def name(self) -> str:
        return self.metadata.name
