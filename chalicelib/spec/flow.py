"""The ``AgentFlow`` resource: a trigger plus a graph of nodes."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, field_validator

from .common import AllowedHost, ApiVersion, Metadata, StrictModel
from .nodes import AnyNode, NodeSpec


class WebhookAuth(StrictModel):
    type: Literal["Bearer", "PagerDutySignature"]
    token: str | None = None
    secret: str | None = None


class WebhookTriggerConfig(StrictModel):
    path: str = Field(pattern=r"^/[A-Za-z0-9/_.-]*$")
    methods: list[Literal["POST", "PUT"]] = Field(default_factory=lambda: ["POST"])  # type: ignore[arg-type]
    auth: WebhookAuth | None = None


class ScheduleTriggerConfig(StrictModel):
    #: ``rate(1 day)`` or ``cron(0 8 * * ? *)``, as EventBridge writes them.
    schedule: str
    event: dict[str, Any] = Field(default_factory=dict)


class WebhookTrigger(StrictModel):
    type: Literal["Webhook"]
    config: WebhookTriggerConfig


class ScheduleTrigger(StrictModel):
    type: Literal["Schedule"]
    config: ScheduleTriggerConfig


class ManualTrigger(StrictModel):
    type: Literal["Manual"]
    config: dict[str, Any] = Field(default_factory=dict)


Trigger = Annotated[WebhookTrigger | ScheduleTrigger | ManualTrigger, Field(discriminator="type")]


class RateLimit(StrictModel):
    max_concurrent: int = Field(default=3, ge=1, le=1000)
    queue_size: int = Field(default=10, ge=0, le=100_000)
    timeout_seconds: int = Field(default=1800, gt=0, le=31_536_000)


class SafetySpec(StrictModel):
    """Limits the policy layer enforces whatever the model proposes."""

    protected_namespaces: list[str] = Field(default_factory=lambda: ["kube-system", "kube-public", "kube-node-lease"])
    protected_kinds: list[str] = Field(default_factory=lambda: ["namespace", "persistentvolumeclaim"])
    allowed_namespaces: list[str] | None = None
    #: Off limits whatever a human approves; the cluster's own namespaces unless set (``[]`` opens them).
    forbidden_namespaces: list[str] = Field(default_factory=lambda: ["kube-system", "kube-public", "kube-node-lease"])
    forbidden_kinds: list[str] = Field(default_factory=list)
    #: ``scale`` within this band is a write; outside it, and to zero, it needs an approval.
    min_replicas: int = Field(default=1, ge=1)
    max_replicas: int = Field(default=10, ge=1)
    max_changes_per_namespace_per_hour: int = Field(default=5, ge=0)
    max_changes_per_service_per_hour: int = Field(default=3, ge=0)
    monitor_seconds: float = Field(default=60, ge=0)
    approvers: list[str] = Field(default_factory=list)


class EgressSpec(StrictModel):
    """Where the flow's HTTP nodes and its agents' HTTP tools may connect beyond public
    addresses: host names, IP addresses or CIDR networks that may be loopback, private or
    CGNAT. Metadata, link-local and multicast addresses stay refused whatever is listed."""

    allowed_hosts: list[AllowedHost] = Field(default_factory=list)


class Connection(StrictModel):
    from_: str = Field(alias="from")
    to: list[str] = Field(min_length=1)

    @field_validator("to", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value


class FlowSpec(StrictModel):
    trigger: Trigger
    nodes: list[NodeSpec] = Field(min_length=1)
    connections: list[Connection] = Field(default_factory=list)
    rate_limit: RateLimit | None = None
    safety: SafetySpec = Field(default_factory=SafetySpec)
    egress: EgressSpec = Field(default_factory=EgressSpec)

    def node(self, node_id: str) -> AnyNode:
        for node in self.nodes:
            if node.id == node_id:
                return node
        raise KeyError(node_id)


class AgentFlowResource(StrictModel):
    apiVersion: ApiVersion
    kind: Literal["AgentFlow"]
    metadata: Metadata
    spec: FlowSpec

    @property
    def name(self) -> str:
        return self.metadata.name
