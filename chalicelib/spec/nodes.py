"""Node types of an ``AgentFlow`` and their configuration.

Each node type has its own config model, so a misspelt field is reported against the fields
that type really has. A node's ``conditions`` gate it on the outcome of an upstream node.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from .common import StrictModel

NODE_ID_PATTERN = r"^[A-Za-z]([A-Za-z0-9_-]{0,62}[A-Za-z0-9])?$"
DEFAULT_APPROVAL_TIMEOUT_SECONDS = 600


class NodeCondition(StrictModel):
    """``from: <node>`` / ``when: <expression>``: the node runs only if the expression holds."""

    from_: str = Field(alias="from")
    when: str | bool


class TransformConfig(StrictModel):
    script: str


class AgentNodeConfig(StrictModel):
    agent: str
    input: str = ""
    timeout_seconds: int | None = Field(default=None, gt=0)


class NamedCondition(StrictModel):
    name: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    expression: str | bool


class ConditionalConfig(StrictModel):
    conditions: list[NamedCondition] | None = None
    condition: str | bool | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> ConditionalConfig:
        if (self.conditions is None) == (self.condition is None):
            raise ValueError("a Conditional node needs exactly one of 'conditions' (named) or 'condition'")
        if self.conditions is not None:
            names = [c.name for c in self.conditions]
            duplicates = sorted({n for n in names if names.count(n) > 1})
            if duplicates:
                raise ValueError(f"condition names must be unique: {', '.join(duplicates)}")
        return self


class SlackConfig(StrictModel):
    channel: str
    message: str
    wait_for_reaction: bool = False
    timeout_seconds: int | None = Field(default=None, gt=0, le=31_536_000)
    approvers: list[str] = Field(default_factory=list)
    thread: bool = True


class ApprovalConfig(StrictModel):
    channel: str
    message: str
    timeout_seconds: int = Field(default=DEFAULT_APPROVAL_TIMEOUT_SECONDS, gt=0, le=31_536_000)
    approvers: list[str] = Field(default_factory=list)


class HTTPConfig(StrictModel):
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"] = "GET"
    url: str
    headers: dict[str, str] = Field(default_factory=dict)
    body: str | dict[str, Any] | list[Any] | None = None
    timeout_seconds: float = Field(default=10, gt=0, le=900)
    retries: int = Field(default=2, ge=0, le=10)

    @model_validator(mode="before")
    @classmethod
    def _no_blanket_switch(cls, data: Any) -> Any:
        return refuse_allow_private(data)


def refuse_allow_private(data: Any) -> Any:
    """``allow_private`` opened every internal address to one node or tool; the flow's
    allowlist names the hosts instead. Say so rather than "unknown field"."""
    if isinstance(data, dict) and "allow_private" in data:
        raise ValueError(
            "'allow_private' is no longer accepted: list the internal hosts this flow may reach "
            "under spec.egress.allowed_hosts"
        )
    return data


class WaitConfig(StrictModel):
    seconds: int | None = Field(default=None, ge=0)
    until: str | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> WaitConfig:
        if (self.seconds is None) == (self.until is None):
            raise ValueError("a Wait node needs exactly one of 'seconds' or 'until'")
        return self


class EmptyConfig(StrictModel):
    """Parallel and Join take their shape from the connections; they have no settings."""


class _NodeBase(StrictModel):
    id: str = Field(pattern=NODE_ID_PATTERN)
    conditions: list[NodeCondition] = Field(default_factory=list)


class TransformNode(_NodeBase):
    type: Literal["Transform"]
    config: TransformConfig


class AgentNode(_NodeBase):
    type: Literal["Agent"]
    config: AgentNodeConfig


class ConditionalNode(_NodeBase):
    type: Literal["Conditional"]
    config: ConditionalConfig


class SlackNode(_NodeBase):
    type: Literal["Slack"]
    config: SlackConfig

    @property
    def is_approval(self) -> bool:
        return self.config.wait_for_reaction


class ApprovalNode(_NodeBase):
    type: Literal["Approval"]
    config: ApprovalConfig

    @property
    def is_approval(self) -> bool:
        return True


class HTTPNode(_NodeBase):
    type: Literal["HTTP"]
    config: HTTPConfig


class WaitNode(_NodeBase):
    type: Literal["Wait"]
    config: WaitConfig


class ParallelNode(_NodeBase):
    type: Literal["Parallel"]
    config: EmptyConfig = Field(default_factory=EmptyConfig)


class JoinNode(_NodeBase):
    type: Literal["Join"]
    config: EmptyConfig = Field(default_factory=EmptyConfig)


AnyNode = (
    TransformNode
    | AgentNode
    | ConditionalNode
    | SlackNode
    | ApprovalNode
    | HTTPNode
    | WaitNode
    | ParallelNode
    | JoinNode
)
NodeSpec = Annotated[AnyNode, Field(discriminator="type")]
NODE_TYPES = ("Transform", "Agent", "Conditional", "Slack", "Approval", "HTTP", "Wait", "Parallel", "Join")


def is_approval(node: AnyNode) -> bool:
    """Approvals wait for a human: ``Approval`` nodes and ``Slack`` with ``wait_for_reaction``."""
    return isinstance(node, ApprovalNode) or (isinstance(node, SlackNode) and node.config.wait_for_reaction)
