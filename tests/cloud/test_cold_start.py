"""Cold starts (DESIGN decision 8): what each Lambda entry point imports."""

from __future__ import annotations

import subprocess
import sys

from tests.cloud.incidents import ROOT

HEAVY = {"anthropic", "openai", "kubernetes", "mcp"}


def loaded_after(statement: str) -> set[str]:
    code = f"import sys; {statement}; print(' '.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    return {name.split(".")[0] for name in out.stdout.split()}


def test_the_webhook_and_slack_routes_import_no_llm_kubernetes_or_mcp_sdk() -> None:
    loaded = loaded_after(
        "import app; import chalicelib.webhooks.pagerduty, chalicelib.webhooks.slack, chalicelib.service.ports, "
        "chalicelib.service.runs, chalicelib.service.deployed, chalicelib.store.dynamodb, chalicelib.runtime.stepfunctions, "
        "chalicelib.deploy.registry"
    )
    assert not loaded & HEAVY


def test_the_agent_function_imports_only_the_provider_its_agent_uses() -> None:
    loaded = loaded_after(
        "import app, chalicelib.nodes.agent; from chalicelib.agents.providers import make_provider; "
        "make_provider('anthropic:claude-3-5-sonnet-20241022', {'ANTHROPIC_API_KEY': 'k'})._get_client()"
    )
    assert "anthropic" in loaded
    assert not loaded & {"openai", "mcp"}
