"""MCP servers run only from a pinned version, and their tools act unless the agent's YAML says
they only read: a real MCP server (``mcp`` SDK, stdio subprocess) that lies about a tool."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

from chalicelib.agents.gate import ReadOnlyGate
from chalicelib.agents.loop import run_agent
from tests.fakes.anthropic_api import FakeAnthropic, Turn
from tests.unit.agents.conftest import DIAGNOSIS, fenced, options, variant

SERVER = Path(__file__).resolve().parents[2] / "fakes" / "mcp_server.py"

UNPINNED = [
    ["npx", "-y", "@modelcontextprotocol/server-kubectl"],
    ["npx", "-y", "mcp-server-kubernetes"],
    ["npx", "-y", "mcp-server-kubernetes@latest"],
    ["npx", "--yes", "@scope/server@^1.2.0"],
    ["npx", "-y", "--package=mcp-server-kubernetes@next", "mcp-server-kubernetes"],
    ["/usr/bin/npx", "-p", "mcp-server-kubernetes", "mcp-server-kubernetes"],
    ["npm", "exec", "mcp-server-kubernetes"],
    ["pnpm", "dlx", "mcp-server-kubernetes@1"],
    ["yarn", "dlx", "mcp-server-kubernetes@1.2"],
    ["bunx", "mcp-server-kubernetes"],
    ["uvx", "mcp-server-fetch"],
    ["uvx", "mcp-server-fetch@latest"],
    ["uvx", "--from", "mcp-server-fetch>=1.0", "mcp-server-fetch"],
    ["uv", "tool", "run", "mcp-server-fetch"],
    ["pipx", "run", "mcp-server-fetch"],
    ["docker", "run", "-i", "--rm", "mcp/kubernetes"],
    ["docker", "run", "-i", "-e", "KUBECONFIG=/k", "mcp/kubernetes:latest"],
    ["podman", "run", "-i", "mcp/kubernetes:1.2.3"],
]
PINNED = [
    ["npx", "-y", "mcp-server-kubernetes@4.1.7"],
    ["npx", "-y", "@scope/server@1.2.3"],
    ["npx", "-y", "-p", "@scope/server@1.2.3-rc.1", "server"],
    ["uvx", "mcp-server-fetch==2025.4.7"],
    ["uvx", "--from", "mcp-server-fetch==2025.4.7", "mcp-server-fetch"],
    ["pipx", "run", "--spec", "mcp-server-fetch==1.0.0", "mcp-server-fetch"],
    ["docker", "run", "-i", "--rm", "-e", "A=b", "mcp/kubernetes@sha256:" + "a" * 64],
    ["python", "servers/kubectl.py"],
    ["/opt/mcp/bin/kubectl-server", "--stdio"],
]


def agent_file(tmp_path: Path, command: list[str]) -> Path:
    path = tmp_path / "agent.yaml"
    path.write_text(
        textwrap.dedent(
            f"""\
            apiVersion: aof.dev/v1
            kind: Agent
            metadata:
              name: pinned
            spec:
              model: builtin:triage
              instructions: diagnose
              tools:
                - type: MCP
                  config:
                    name: k8s
                    command: {command!r}
            """
        ).replace("'", '"')
    )
    return path


@pytest.mark.parametrize("command", UNPINNED, ids=" ".join)
def test_an_unpinned_server_is_reported_with_its_file_and_line(tmp_path, command) -> None:
    """A warning, not an error: the tutorial's own agents name an unpinned server and load as
    written; the server is then never started (next tests)."""
    from chalicelib.cli.project import load_checked

    path = agent_file(tmp_path, command)
    resources = load_checked([str(path)])
    assert resources.problems == []
    (warning,) = resources.warnings
    assert warning.startswith(f"{path}:12:") and "config.command" in warning, warning
    assert "not pinned" in warning or "pin it" in warning or "no package" in warning or "no image" in warning
    assert "will not be started" in warning


@pytest.mark.parametrize("command", PINNED, ids=" ".join)
def test_a_pinned_server_or_a_local_program_loads(tmp_path, command) -> None:
    from chalicelib.cli.project import load_checked
    from chalicelib.spec import load_resources

    assert "pinned" in load_resources([str(agent_file(tmp_path, command))]).agents
    assert load_checked([str(agent_file(tmp_path, command))]).warnings == []


def lying_server_agent(tutorial, marker_dir: Path, read_only: list[str]):
    command = [sys.executable, str(SERVER), str(marker_dir)]
    tool = {"type": "MCP", "config": {"name": "fake", "command": command, "read_only_tools": read_only}}
    return variant(tutorial["incident-diagnostic"], tools=[tool])


def run_calls(agent, calls) -> tuple[object, FakeAnthropic]:
    script = [*(Turn(tool_calls=[call]) for call in calls), Turn(text=fenced(DIAGNOSIS))]
    with FakeAnthropic(script) as fake:
        result = run_agent(
            agent,
            "Incident: api memory",
            options(
                env={"ANTHROPIC_API_KEY": "k", "ANTHROPIC_BASE_URL": fake.url},
                gate=ReadOnlyGate(),
                mcp_startup_timeout_seconds=60,  # a loaded machine imports the mcp SDK slowly
            ),
        )
    return result, fake


def test_a_tool_the_server_calls_read_only_acts_unless_the_yaml_says_so(tutorial, tmp_path) -> None:
    agent = lying_server_agent(tutorial, tmp_path, read_only=["cluster_summary"])
    result, _ = run_calls(
        agent, [("fake__tidy_up", {"namespace": "production"}), ("fake__cluster_summary", {"namespace": "production"})]
    )
    tidy, summary = result.tool_calls
    assert tidy.refused and tidy.action_kind == "write", ("the server's readOnlyHint is not trusted", result.warnings)
    assert not (tmp_path / "tidied").exists(), "a read-only run never let it act"
    assert summary.ok and summary.action_kind == "read", "listed in the YAML: a read"


def test_an_unpinned_server_that_skipped_validation_is_never_started(tmp_path) -> None:
    from chalicelib.agents.options import AgentRunOptions
    from chalicelib.agents.tools.toolset import build_toolset

    marker = tmp_path / "ran"
    # Were it started, this "package runner" would leave a marker: npx is looked up on PATH.
    fake_npx = tmp_path / "npx"
    fake_npx.write_text(f"#!/bin/sh\ntouch {marker}\n")
    fake_npx.chmod(0o755)
    warnings: list[str] = []
    spec = {"type": "MCP", "config": {"name": "fetched", "command": [str(fake_npx), "-y", "mcp-server-kubernetes"]}}
    toolset = build_toolset([spec], AgentRunOptions(mcp_startup_timeout_seconds=5), warnings.append)
    try:
        assert toolset.definitions() == []
    finally:
        toolset.close()
    assert any("fetched" in w and "not pinned" in w for w in warnings), warnings
    assert not marker.exists()
