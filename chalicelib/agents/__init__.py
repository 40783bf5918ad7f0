"""The Agent node's engine: an LLM tool-use loop with providers, tools, memory and a gate.

Importing this package is cheap: provider SDKs, ``kubernetes`` and ``mcp`` are imported only
when a run needs them.
"""

from chalicelib.agents.gate import AllowAllGate, DefaultGate, OutcomeRecorder, ReadOnlyGate, ToolGate
from chalicelib.agents.loop import AgentTimedOut, run_agent
from chalicelib.agents.memory import InMemoryStore, MemoryStore
from chalicelib.agents.options import AgentRunOptions
from chalicelib.agents.types import (
    Action,
    AgentResult,
    ModelCallRecord,
    ToolCallRecord,
)

__all__ = [
    "Action",
    "AgentResult",
    "AgentRunOptions",
    "AgentTimedOut",
    "AllowAllGate",
    "DefaultGate",
    "InMemoryStore",
    "MemoryStore",
    "ModelCallRecord",
    "OutcomeRecorder",
    "ReadOnlyGate",
    "ToolCallRecord",
    "ToolGate",
    "run_agent",
]
