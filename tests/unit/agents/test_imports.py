"""Cold starts: the webhook path and the agent runtime import no heavy SDK until a run needs it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
HEAVY = ("anthropic", "openai", "kubernetes", "mcp")


def loaded_after(code: str) -> list[str]:
    probe = f"{code}\nimport sys, json\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=60, check=True
    )
    modules = json.loads(out.stdout.strip().splitlines()[-1])
    return [m for m in modules if m.split(".")[0] in HEAVY]


@pytest.mark.parametrize(
    "code",
    [
        "import chalicelib.agents",
        "from chalicelib.agents.loop import run_agent; from chalicelib.agents.options import AgentRunOptions; "
        "from chalicelib.agents.types import AgentResult, Action; from chalicelib.agents.gate import ToolGate",
        "import chalicelib.agents.loop, chalicelib.agents.cli, chalicelib.agents.providers",
        "import chalicelib.agents.tools.shell, chalicelib.agents.tools.http, chalicelib.agents.tools.kubernetes",
    ],
)
def test_agent_runtime_imports_no_heavy_sdk(code):
    assert loaded_after(code) == []


def test_webhooks_import_no_heavy_sdk():
    assert loaded_after("import chalicelib.webhooks") == []


def test_a_builtin_run_imports_only_what_it_uses():
    code = (
        "from chalicelib.agents.loop import run_agent\nfrom chalicelib.agents.options import AgentRunOptions\n"
        "from chalicelib.spec import load_resources\n"
        "a = load_resources(['agents']).agents['post-incident-analyzer']\n"
        "d = a.model_dump(by_alias=True, exclude_none=True); d['spec']['model'] = 'builtin:triage'\n"
        "run_agent(type(a).model_validate(d), 'Analyze: nothing', AgentRunOptions())"
    )
    assert loaded_after(code) == []
