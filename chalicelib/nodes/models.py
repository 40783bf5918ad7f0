"""The one input and one output model of every node handler."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

NodeStatus = Literal["succeeded", "skipped", "failed", "timed_out", "waiting"]


class NodeRef(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: str
    type: str
    config: dict[str, Any] = Field(default_factory=dict)


class TaskContext(BaseModel):
    """What Step Functions (or the embedded engine) tells a task about the execution."""

    model_config = ConfigDict(extra="allow")

    execution_id: str = ""
    execution_name: str = ""
    started_at: str = ""
    entered_at: str = ""
    state_name: str = ""
    retry_count: int = 0

    @property
    def run_id(self) -> str:
        return self.execution_name or self.execution_id.rsplit(":", 1)[-1]


class NodeInput(BaseModel):
    """The Lambda payload the compiler builds (see docs/architecture.md)."""

    model_config = ConfigDict(extra="allow")

    node: NodeRef
    flow: dict[str, Any] = Field(default_factory=dict)
    agents: dict[str, Any] = Field(default_factory=dict)
    state: dict[str, Any] = Field(default_factory=dict)
    context: TaskContext = Field(default_factory=TaskContext)
    task_token: str | None = None

    @property
    def idempotency_key(self) -> str:
        """Stable across retries and crash-resumes of the same node in the same execution."""
        return f"{self.context.execution_id or self.context.execution_name}:{self.node.id}"


class NodeOutput(BaseModel):
    """What a node returns; ``$.nodes.<id>`` keeps ``status``, ``output`` and ``meta``."""

    status: NodeStatus = "succeeded"
    output: Any = None
    meta: dict[str, Any] = Field(default_factory=dict)
    #: Transform nodes only: the next execution state, whole (exports merged into vars).
    state: dict[str, Any] | None = None

    def payload(self) -> dict[str, Any]:
        data = self.model_dump(mode="json")
        if self.state is None:
            data.pop("state")
        return data


class LifecycleInput(BaseModel):
    model_config = ConfigDict(extra="allow")

    action: Literal["approval_timed_out", "node_failed"]
    flow: dict[str, Any] = Field(default_factory=dict)
    state: dict[str, Any] = Field(default_factory=dict)
    context: TaskContext = Field(default_factory=TaskContext)
    node_id: str | None = None
