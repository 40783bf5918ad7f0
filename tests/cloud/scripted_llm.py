"""Scripted Anthropic and OpenAI answers for the tutorial's agents, decided from each request.

Order-independent (both incidents run at once): every answer is a function of the request.
The diagnostic agent (Anthropic) first reads the pods through the Shell tool, then answers;
the remediation agent (OpenAI) runs exactly the recommended command, then reports.
"""

from __future__ import annotations

import json
import re
from typing import Any

from tests.fakes.anthropic_api import Turn, tool_results

PLANS = {
    "TEST001": {
        "severity": "high",
        "root_cause": "api pods are OOMKilled: a memory leak in the session cache",
        "affected_components": ["api"],
        "impact": "Requests fail while pods restart",
        "recommended_action": "kubectl rollout restart deployment/api -n production",
        "requires_approval": False,
        "confidence": 0.8,
    },
    "TEST002": {
        "severity": "critical",
        "root_cause": "every postgres replica crash-loops on a stale lock file",
        "affected_components": ["postgres"],
        "impact": "The database is down for every user",
        "recommended_action": "kubectl rollout restart statefulset/postgres -n production",
        "requires_approval": True,
        "confidence": 0.7,
    },
}


def fenced(value: dict[str, Any]) -> str:
    return "My analysis:\n\n```json\n" + json.dumps(value, indent=2) + "\n```"


def _text(message: dict[str, Any]) -> str:
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(str(b.get("text", "")) for b in content if isinstance(b, dict) and b.get("type") == "text")
    return ""


def _current_task(body: dict[str, Any], is_result: Any) -> tuple[str, list[dict[str, Any]]]:
    """The newest prompt (agent memory may replay older ones first) and the results since it."""
    messages = body.get("messages", [])
    start = max((i for i, m in enumerate(messages) if m.get("role") == "user" and _text(m)), default=0)
    return _text(messages[start]) if messages else "", [m for m in messages[start + 1 :] if is_result(m)]


def _incident(text: str) -> str:
    return "TEST002" if re.search(r"postgres|Database cluster", text, re.I) else "TEST001"


def anthropic_turn(body: dict[str, Any]) -> Turn:
    """The diagnostic agent: diagnose (and later verify) after looking at the cluster."""
    prompt, since = _current_task(body, lambda m: m.get("role") == "user")
    results = tool_results({"messages": since})
    if not results:
        return Turn(tool_calls=[("shell", {"command": "kubectl get pods -n production"})])
    if "Verify the incident is resolved" in prompt:
        pods = results[-1]["content"]
        return Turn(
            text=fenced(
                {
                    "severity": "low",
                    "root_cause": "resolved: pods are running again",
                    "affected_components": [],
                    "impact": "none",
                    "recommended_action": "none",
                    "requires_approval": False,
                    "confidence": 0.9,
                    "evidence": str(pods)[:200],
                }
            )
        )
    return Turn(text=fenced(PLANS[_incident(prompt)]))


def openai_turn(body: dict[str, Any]) -> Turn:
    """The remediation agent: run the recommended command once, then report success."""
    prompt, _ = _current_task(body, lambda m: False)
    command = PLANS[_incident(prompt)]["recommended_action"]
    _, results = _current_task(body, lambda m: m.get("role") == "tool")
    if not results:
        return Turn(tool_calls=[("shell", {"command": command})])
    return Turn(
        text=fenced(
            {
                "action_taken": command,
                "result": "success",
                "verification": str(results[-1]["content"])[:200],
                "rollback_needed": False,
                "logs": str(results[0]["content"])[:200],
            }
        )
    )
