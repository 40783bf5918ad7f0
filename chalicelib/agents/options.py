"""What a caller hands the agent runtime for one run.

Kept apart from :mod:`chalicelib.agents.types` (plain data the gate and the tools also use) so
that the default gate can be named here without the types depending on the gate.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from chalicelib.agents.gate import DefaultGate, ToolGate
from chalicelib.agents.memory import MemoryStore
from chalicelib.agents.time_limits import TimeLimit


def _never_stopped() -> str | None:
    return None


@dataclass
class AgentRunOptions:
    """Everything the runtime needs from its caller; nothing is read from ``os.environ``.

    ``provider_max_retries`` is handed to the SDKs (their own retry with backoff);
    ``provider_timeout_seconds`` bounds one model call; ``timeout_seconds`` bounds the run.
    """

    env: Mapping[str, str] = field(default_factory=dict)
    kubeconfig: str | None = None
    memory: MemoryStore | None = None
    memory_key: str | None = None
    gate: ToolGate = field(default_factory=DefaultGate)
    default_fallback: str | None = "builtin:triage"
    timeout_seconds: float | None = None
    provider_timeout_seconds: float | None = None
    provider_max_retries: int = 2
    clock: Callable[[], float] = time.monotonic
    #: Where the Shell tool looks for programs (``None``: the ``PATH`` from ``env``).
    search_path: str | None = None
    #: How long an MCP server may take to start and list its tools before it is disabled.
    mcp_startup_timeout_seconds: float = 15.0
    #: Asked before every model call and every tool call: a reason (the run was stopped, a human
    #: took the incident over) ends the conversation there, with no further call of either kind.
    stop_requested: Callable[[], str | None] = _never_stopped
    #: Other limits on the time left besides ``timeout_seconds`` (the Lambda context's remaining
    #: time): no tool call starts that could outlast one of them (``agents.time_limits``).
    time_limits: tuple[TimeLimit, ...] = ()
    #: Internal hosts the HTTP tool may reach besides the agent's own list: the flow's
    #: ``spec.egress.allowed_hosts`` when the agent runs in a flow.
    allowed_hosts: tuple[str, ...] = ()
