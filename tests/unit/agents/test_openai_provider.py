"""The tutorial's remediation agent through the real ``openai`` SDK against local Chat Completions."""

from __future__ import annotations

import json

import pytest

from chalicelib.agents.loop import run_agent
from tests.fakes.openai_api import FakeOpenAI, Turn, tool_messages
from tests.unit.agents.conftest import KUBERNETES, SHELL_KUBECTL, fenced, options, variant

PROMPT = (
    "Execute the following remediation:\n\nAction: kubectl rollout restart deployment/api -n production\n"
    "Namespace: production\nResource: deployment/api\n\nVerify the fix works and monitor for 60 seconds."
)


def final_answer(body):
    results = tool_messages(body)
    assert "restarted" in results[0]["content"], results
    return Turn(
        text=fenced(
            {
                "action_taken": "kubectl rollout restart deployment/api -n production",
                "result": "success",
                "verification": results[-1]["content"][:200],
                "rollback_needed": False,
                "logs": results[0]["content"][:200],
            }
        )
    )


@pytest.mark.parametrize("tools", [SHELL_KUBECTL, KUBERNETES], ids=["shell-kubectl", "kubernetes-tool"])
def test_remediation_agent_restarts_the_deployment(tutorial, sandbox, tools):
    if tools is SHELL_KUBECTL:
        calls = [
            ("shell", {"command": "kubectl rollout restart deployment/api -n production"}),
            ("shell", {"command": "kubectl get deployment api -n production"}),
        ]
    else:
        calls = [
            (
                "kubernetes",
                {"operation": "rollout_restart", "kind": "deployment", "name": "api", "namespace": "production"},
            ),
            (
                "kubernetes",
                {
                    "operation": "rollout_status",
                    "kind": "deployment",
                    "name": "api",
                    "namespace": "production",
                    "timeout_seconds": 20,
                },
            ),
        ]
    script = [Turn(tool_calls=[calls[0]]), Turn(tool_calls=[calls[1]]), final_answer]
    agent = variant(tutorial["incident-remediation"], tools=[tools])
    with FakeOpenAI(script) as fake:
        result = run_agent(
            agent,
            PROMPT,
            options(
                env={"OPENAI_API_KEY": "sk-oa", "OPENAI_BASE_URL": f"{fake.url}/v1"}, kubeconfig=sandbox.kubeconfig_path
            ),
        )
    assert result.output["result"] == "success"
    restart = result.tool_calls[0]
    assert restart.ok and restart.action_kind == "write"
    assert sandbox.wait_resolved(timeout=10)
    mutations = [a for a in sandbox.actions if not a.get("dry_run")]
    assert mutations, sandbox.actions
    if tools is KUBERNETES:
        # a server-side dry run went first, and the snapshot is the deployment as it was
        assert any(a.get("dry_run") for a in sandbox.actions)
        assert restart.snapshot["metadata"]["name"] == "api"
        assert "kubectl.kubernetes.io/restartedAt" not in (
            restart.snapshot["spec"]["template"]["metadata"].get("annotations") or {}
        )
    # the wire: tools as functions, tool results as role=tool messages, settings from model_config
    first, last = fake.requests[0], fake.requests[-1]
    assert first["model"] == "gpt-4"
    assert first["temperature"] == 0.1 and first["max_completion_tokens"] == 2000
    assert first["messages"][0]["role"] == "system"
    assert first["tools"][0]["type"] == "function"
    assistant_calls = [c["id"] for m in last["messages"] if m.get("tool_calls") for c in m["tool_calls"]]
    assert [m["tool_call_id"] for m in tool_messages(last)] == assistant_calls
    assert fake.headers[0]["authorization"] == "Bearer sk-oa"
    assert all(m.provider == "openai" and m.input_tokens > 0 for m in result.model_calls)
    json.dumps(result.to_dict())  # the whole result is JSON-serialisable for the run history
