"""Running the tutorial's ``post-incident-analyzer`` agent on incident records."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..spec import AgentResource
from .records import written_records

# The agent loop (48 ms) is imported when an analysis runs, not when ``aofctl`` starts.

ANALYZER = "post-incident-analyzer"


def analyse(agent: AgentResource, records: Sequence[dict[str, Any]], env: Mapping[str, str], what: str) -> str:
    """The agent's markdown report on ``records`` (``builtin:triage`` when no provider answers)."""
    from chalicelib.agents.loop import run_agent
    from chalicelib.agents.options import AgentRunOptions

    with written_records(records) as directory:
        prompt = f"Analyze {what}: {directory}/incident-*.json"
        result = run_agent(agent, prompt, AgentRunOptions(env=dict(env), default_fallback="builtin:triage"))
    return result.text or str(result.output.get("text", ""))
