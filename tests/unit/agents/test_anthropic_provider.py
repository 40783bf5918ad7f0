"""The tutorial's diagnostic agent through the real ``anthropic`` SDK against a local Messages API."""

from __future__ import annotations

import pytest

from chalicelib.agents.loop import run_agent
from tests.fakes.anthropic_api import FakeAnthropic, Turn, tool_results
from tests.unit.agents.conftest import DIAGNOSIS, KUBERNETES, SHELL_KUBECTL, fenced, incident_prompt, options, variant


def answer_from_pods(body):
    """The final turn: only answers once the tool results carry what the cluster said."""
    results = tool_results(body)
    pods = results[0]["content"]
    assert "api-" in pods, pods
    logs = results[-1]["content"]
    assert "OutOfMemoryError" in logs, logs
    return Turn(text=fenced(DIAGNOSIS))


@pytest.mark.parametrize("tools", [SHELL_KUBECTL, KUBERNETES], ids=["shell-kubectl", "kubernetes-tool"])
def test_diagnostic_agent_multi_turn_against_the_sandbox(tutorial, sandbox, tools):
    pod_call = (
        ("shell", {"command": "kubectl get pods -n production -l app=api"})
        if tools is SHELL_KUBECTL
        else (
            "kubernetes",
            {"operation": "get", "kind": "pods", "namespace": "production", "label_selector": "app=api"},
        )
    )
    pod_name = sandbox.cluster.pods("production", "app=api")[0]["metadata"]["name"]
    log_call = (
        ("shell", {"command": f"kubectl logs {pod_name} -n production --previous"})
        if tools is SHELL_KUBECTL
        else ("kubernetes", {"operation": "logs", "name": pod_name, "namespace": "production", "previous": True})
    )
    script = [Turn(tool_calls=[pod_call]), Turn(text="Checking logs.", tool_calls=[log_call]), answer_from_pods]
    agent = variant(tutorial["incident-diagnostic"], tools=[tools])
    with FakeAnthropic(script) as fake:
        result = run_agent(
            agent,
            incident_prompt(sandbox.incident),
            options(
                env={"ANTHROPIC_API_KEY": "sk-test", "ANTHROPIC_BASE_URL": fake.url}, kubeconfig=sandbox.kubeconfig_path
            ),
        )
    assert result.output == DIAGNOSIS
    assert result.fallback_used is None
    assert [c.ok for c in result.tool_calls] == [True, True]
    assert all(c.action_kind == "read" for c in result.tool_calls)
    # the wire: model name, max_tokens from model_config, API key header, tool_use ids echoed back
    first, last = fake.requests[0], fake.requests[-1]
    assert first["model"] == "claude-3-5-sonnet-20241022"
    assert first["max_tokens"] == 3000
    assert "sk-test" in (fake.headers[0].get("x-api-key") or fake.headers[0].get("authorization", ""))
    uses = [
        b["id"] for m in last["messages"] if m["role"] == "assistant" for b in m["content"] if b["type"] == "tool_use"
    ]
    assert [r["tool_use_id"] for r in tool_results(last)] == uses
    # prompt caching on the system prompt and the (last) tool definition
    assert first["system"][0]["cache_control"] == {"type": "ephemeral"}
    assert first["tools"][-1]["cache_control"] == {"type": "ephemeral"}
    # tokens, calls and latency per model call
    assert len(result.model_calls) == 3
    assert result.model_calls[0].cache_read_tokens == 0 and result.model_calls[1].cache_read_tokens > 0
    assert all(m.input_tokens > 0 and m.output_tokens > 0 and m.latency_ms > 0 for m in result.model_calls)
    assert any("temperature" in w for w in result.warnings)


def test_tutorial_agent_runs_on_its_shell_and_http_tools(tutorial, sandbox):
    """The tutorial's unpinned ``npx -y @modelcontextprotocol/server-kubectl`` is never started
    (validation warns about it): the agent works with what remains."""
    script = [
        Turn(tool_calls=[("shell", {"command": "kubectl get deployment api -n production"})]),
        Turn(text=fenced(DIAGNOSIS)),
    ]
    with FakeAnthropic(script) as fake:
        result = run_agent(
            tutorial["incident-diagnostic"],
            incident_prompt(sandbox.incident),
            options(env={"ANTHROPIC_API_KEY": "k", "ANTHROPIC_BASE_URL": fake.url}, kubeconfig=sandbox.kubeconfig_path),
        )
    assert result.output == DIAGNOSIS
    offered = {t["name"] for t in fake.requests[0]["tools"]}
    assert offered == {"shell", "http"}
    assert result.tool_calls[0].ok
