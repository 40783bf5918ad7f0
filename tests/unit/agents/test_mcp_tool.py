"""A real MCP server (``mcp`` SDK, stdio subprocess) whose tools the agent calls."""

from __future__ import annotations

import sys
from pathlib import Path

from chalicelib.agents.loop import run_agent
from tests.fakes.anthropic_api import FakeAnthropic, Turn, tool_results
from tests.unit.agents.conftest import DIAGNOSIS, fenced, options, variant

SERVER = Path(__file__).resolve().parents[2] / "fakes" / "mcp_server.py"


def mcp_agent(tutorial, marker_dir: Path):
    command = [sys.executable, str(SERVER), str(marker_dir)]
    tool = {
        "type": "MCP",
        "config": {"name": "fake", "command": command, "read_only_tools": ["cluster_summary", "crash"]},
    }
    return variant(tutorial["incident-diagnostic"], tools=[tool])


def test_agent_calls_mcp_tools_through_the_gate(tutorial, tmp_path):
    def answer(body):
        summary, refused, crashed, after = (r["content"] for r in tool_results(body))
        assert "OOMKilled" in summary
        assert "PolicyDenied" in refused
        assert "ERROR" in crashed
        assert "unknown tool" in after  # the dead server no longer offers it
        return Turn(text=fenced(DIAGNOSIS))

    script = [
        Turn(tool_calls=[("fake__cluster_summary", {"namespace": "production"})]),
        Turn(tool_calls=[("fake__restart_workload", {"target": "deployment/api"})]),
        Turn(tool_calls=[("fake__crash", {})]),
        Turn(tool_calls=[("fake__cluster_summary", {"namespace": "production"})]),
        answer,
    ]
    with FakeAnthropic(script) as fake:
        result = run_agent(
            mcp_agent(tutorial, tmp_path),
            "Incident: api memory",
            options(env={"ANTHROPIC_API_KEY": "k", "ANTHROPIC_BASE_URL": fake.url}),
        )
    assert result.output == DIAGNOSIS
    offered = {t["name"]: t for t in fake.requests[0]["tools"]}
    assert set(offered) == {"fake__cluster_summary", "fake__restart_workload", "fake__tidy_up", "fake__crash"}
    assert offered["fake__cluster_summary"]["input_schema"]["properties"]["namespace"]["type"] == "string"
    summary, restart, crash, after = result.tool_calls
    assert summary.ok and summary.action_kind == "read"
    assert restart.refused and restart.action_kind == "destructive"
    assert not (tmp_path / "restarted").exists()  # refused before the server ever saw it
    assert not crash.ok and not after.ok
    assert any("fake" in w and "stopped" in w for w in result.warnings)
    # a dead server's tools are no longer offered
    assert "fake__cluster_summary" not in {t["name"] for t in fake.requests[-1].get("tools", [])}


def test_server_that_cannot_start_disables_only_its_tools(tutorial, tmp_path):
    broken = {"type": "MCP", "config": {"name": "broken", "command": ["/nonexistent/mcp-server"]}}
    http = {"type": "HTTP"}
    agent = variant(tutorial["incident-diagnostic"], tools=[broken, http])
    with FakeAnthropic([Turn(text=fenced(DIAGNOSIS))]) as fake:
        result = run_agent(
            agent, "Incident: x", options(env={"ANTHROPIC_API_KEY": "k", "ANTHROPIC_BASE_URL": fake.url})
        )
    assert result.output == DIAGNOSIS
    assert any("broken" in w and "disabled" in w for w in result.warnings)
    assert [t["name"] for t in fake.requests[0]["tools"]] == ["http"]


def test_remote_server_over_streamable_http(tutorial, tmp_path, processes):
    import socket
    import subprocess
    import time

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    processes.start(
        [sys.executable, str(SERVER), str(tmp_path), "--http", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.1)
    url = f"http://127.0.0.1:{port}/mcp"
    tool = {"type": "MCP", "config": {"name": "remote", "url": url, "read_only_tools": ["cluster_summary"]}}
    agent = variant(tutorial["incident-diagnostic"], tools=[tool])
    script = [
        Turn(tool_calls=[("remote__cluster_summary", {"namespace": "production"})]),
        lambda body: (
            Turn(text=fenced(DIAGNOSIS)) if "OOMKilled" in tool_results(body)[0]["content"] else Turn(text="missing")
        ),
    ]
    with FakeAnthropic(script) as fake:
        result = run_agent(
            agent, "Incident: x", options(env={"ANTHROPIC_API_KEY": "k", "ANTHROPIC_BASE_URL": fake.url})
        )
    assert result.output == DIAGNOSIS
    assert result.tool_calls[0].ok and result.warnings == [w for w in result.warnings if "temperature" in w]
