from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from chalicelib.agents.memory import InMemoryStore
from chalicelib.agents.options import AgentRunOptions
from chalicelib.spec import load_resources
from chalicelib.spec.models import AgentResource
from sandbox.testing import sandbox_factory  # noqa: F401 - pytest fixture

REPO = Path(__file__).resolve().parents[3]
AGENTS_DIR = REPO / "agents"


@pytest.fixture(scope="session")
def tutorial() -> dict[str, AgentResource]:
    """The tutorial's agents exactly as the repository ships them."""
    return load_resources([AGENTS_DIR]).agents


def variant(agent: AgentResource, **spec: Any) -> AgentResource:
    """A copy of ``agent`` with some spec fields replaced (``tools`` as plain dicts)."""
    data = agent.model_dump(by_alias=True, exclude_none=True)
    data["spec"].update(spec)
    return AgentResource.model_validate(data)


SHELL_KUBECTL = {"type": "Shell", "config": {"allowed_commands": ["kubectl", "helm"], "timeout_seconds": 60}}
KUBERNETES = {"type": "Kubernetes"}


def options(**kw: Any) -> AgentRunOptions:
    kw.setdefault("memory", InMemoryStore())
    kw.setdefault("provider_max_retries", 0)
    kw.setdefault("mcp_startup_timeout_seconds", 10)
    return AgentRunOptions(**kw)


def incident_prompt(incident: dict[str, Any]) -> str:
    """The diagnose node's input, as the tutorial flow renders it."""
    inc = incident["event"]["incident"]
    details = inc.get("custom_details") or {}
    return (
        f"Incident: {inc['title']}\nService: {inc['service']['name']}\nUrgency: {inc['urgency']}\n"
        f"Namespace: {details.get('namespace', 'default')}\nResource: {details.get('resource', '')}\n\n"
        "Diagnose this incident and recommend remediation."
    )


def fenced(value: dict[str, Any]) -> str:
    return "Here is my analysis.\n\n```json\n" + json.dumps(value, indent=2) + "\n```"


DIAGNOSIS = {
    "severity": "high",
    "root_cause": "api pods OOMKilled: memory leak in the session cache",
    "affected_components": ["api"],
    "impact": "Requests fail while pods restart",
    "recommended_action": "kubectl rollout restart deployment/api -n production",
    "requires_approval": False,
    "confidence": 0.8,
}


@pytest.fixture
def sandbox(sandbox_factory: Any) -> Iterator[Any]:  # noqa: F811
    yield sandbox_factory("test001-high-memory")
