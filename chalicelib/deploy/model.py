"""What apply wants, what AWS has, and the changes between them (plain data, no IO)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from ..store import TableDefinition

Action = Literal["create", "update", "unchanged"]
Kind = Literal[
    "table", "log-group", "failure-queue", "on-failure", "role", "state-machine", "flow-registry", "agent", "flow"
]


@dataclass(frozen=True)
class DesiredRole:
    name: str
    arn: str
    trust_policy: dict[str, Any]
    policy_name: str
    policy: dict[str, Any]


@dataclass(frozen=True)
class DesiredStateMachine:
    flow: str
    name: str
    arn: str
    definition: dict[str, Any]
    trigger_path: str | None
    rate_limit: dict[str, Any] | None = None
    #: Step Functions' ``loggingConfiguration``; tracing (X-Ray) is always on.
    logging: dict[str, Any] = field(default_factory=dict)
    tracing: bool = True


@dataclass(frozen=True)
class Desired:
    prefix: str
    tables: list[TableDefinition]
    log_group: str
    failure_queue: str
    failure_queue_arn: str
    #: Asynchronously invoked function (short name) -> its ARN: failed events go to the queue.
    async_functions: dict[str, str]
    role: DesiredRole
    state_machines: list[DesiredStateMachine]
    registry_parameter: str
    registry_value: str


@dataclass(frozen=True)
class ObservedTable:
    exists: bool
    ttl_enabled: bool = False


@dataclass(frozen=True)
class ObservedRole:
    trust_policy: dict[str, Any]
    policy: dict[str, Any] | None


@dataclass(frozen=True)
class ObservedStateMachine:
    definition: dict[str, Any]
    role_arn: str
    logging: dict[str, Any] = field(default_factory=dict)
    tracing: bool = False


@dataclass
class Observed:
    tables: dict[str, ObservedTable] = field(default_factory=dict)
    log_group_exists: bool = False
    failure_queue_exists: bool = False
    #: Function ARN -> its on-failure destination and retries, or None without a configuration.
    on_failure: dict[str, tuple[str | None, int | None] | None] = field(default_factory=dict)
    role: ObservedRole | None = None
    state_machines: dict[str, ObservedStateMachine | None] = field(default_factory=dict)
    registry_value: str | None = None


@dataclass(frozen=True)
class Change:
    kind: Kind
    name: str
    action: Action
    reason: str = ""

    def line(self) -> str:
        mark = {"create": "+", "update": "~", "unchanged": "="}[self.action]
        why = f" ({self.reason})" if self.reason else ""
        return f"{mark} {self.kind} {self.name}: {self.action}{why}"


@dataclass(frozen=True)
class Plan:
    changes: list[Change]

    @property
    def pending(self) -> list[Change]:
        return [c for c in self.changes if c.action != "unchanged"]

    @property
    def empty(self) -> bool:
        return not self.pending
