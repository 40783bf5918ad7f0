"""Malformed answers, tool errors, provider timeouts and 5xx/4xx: retry, fallback, typed failure."""

from __future__ import annotations

import time

import pytest

from chalicelib.agents.loop import AgentTimedOut, run_agent
from chalicelib.errors import AgentOutputError, ProviderError, ProviderUnavailable
from tests.fakes.anthropic_api import FakeAnthropic, Turn, tool_results
from tests.fakes.openai_api import FakeOpenAI
from tests.unit.agents.conftest import DIAGNOSIS, SHELL_KUBECTL, fenced, incident_prompt, options, variant


def diagnostic(tutorial, **spec):
    spec.setdefault("tools", [SHELL_KUBECTL])
    return variant(tutorial["incident-diagnostic"], **spec)


def env_for(fake):
    return {"ANTHROPIC_API_KEY": "k", "ANTHROPIC_BASE_URL": fake.url}


def test_malformed_answer_gets_one_corrective_turn(tutorial):
    bad = dict(DIAGNOSIS, severity="urgent", confidence=7)
    with FakeAnthropic([Turn(text=fenced(bad)), Turn(text=fenced(DIAGNOSIS))]) as fake:
        result = run_agent(
            diagnostic(tutorial, tools=[]), "Incident: x", options(env=env_for(fake), default_fallback=None)
        )
    assert result.output == DIAGNOSIS
    correction = fake.requests[1]["messages"][-1]["content"][0]["text"]
    assert "severity" in correction and "confidence" in correction and "JSON Schema" in correction


def test_malformed_twice_is_a_typed_failure(tutorial):
    with FakeAnthropic([Turn(text="It is probably memory."), Turn(text='```json\n{"severity": "high"}\n```')]) as fake:
        with pytest.raises(AgentOutputError) as err:
            run_agent(diagnostic(tutorial, tools=[]), "Incident: x", options(env=env_for(fake)))
    assert "root_cause" in err.value.message
    assert len(fake.requests) == 2


def test_tool_errors_go_back_to_the_model_and_the_loop_goes_on(tutorial, sandbox):
    def answer(body):
        results = tool_results(body)
        assert all(r["is_error"] for r in results[:3])
        return Turn(text=fenced(DIAGNOSIS))

    script = [
        Turn(tool_calls=[("shell", {"command": "kubectl get pods nope -n production"})]),  # fails: NotFound
        Turn(tool_calls=[("shell", {"command": "kubectl get pods | grep api"})]),  # refused
        Turn(tool_calls=[("no_such_tool", {})]),  # unknown tool
        answer,
    ]
    with FakeAnthropic(script) as fake:
        result = run_agent(
            diagnostic(tutorial), "Incident: x", options(env=env_for(fake), kubeconfig=sandbox.kubeconfig_path)
        )
    assert result.output == DIAGNOSIS
    failed, refused, unknown = result.tool_calls
    assert not failed.ok and "NotFound" in failed.output_summary + (failed.error or "")
    assert refused.refused and "metacharacter" in refused.error
    assert unknown.refused and "unknown tool" in unknown.error


def test_destructive_call_refused_by_the_default_gate_is_recorded(tutorial, sandbox):
    before = {p["metadata"]["name"] for p in sandbox.cluster.pods("production", "app=api")}
    victim = sorted(before)[0]
    script = [
        Turn(tool_calls=[("shell", {"command": f"kubectl delete pod {victim} -n production"})]),
        lambda body: Turn(text=fenced(DIAGNOSIS)) if "PolicyDenied" in tool_results(body)[0]["content"] else None,
    ]
    with FakeAnthropic(script) as fake:
        result = run_agent(
            diagnostic(tutorial), "Incident: x", options(env=env_for(fake), kubeconfig=sandbox.kubeconfig_path)
        )
    call = result.tool_calls[0]
    assert call.refused and call.action_kind == "destructive" and "PolicyDenied" in call.error
    assert victim in {p["metadata"]["name"] for p in sandbox.cluster.pods("production", "app=api")}
    assert not [a for a in sandbox.actions if a.get("method") == "DELETE"]


def test_provider_timeout_falls_back_to_the_builtin_model(tutorial, sandbox):
    with FakeAnthropic([Turn(text=fenced(DIAGNOSIS), delay=3)]) as fake:
        started = time.monotonic()
        result = run_agent(
            diagnostic(tutorial),
            incident_prompt(sandbox.incident),
            options(env=env_for(fake), kubeconfig=sandbox.kubeconfig_path, provider_timeout_seconds=1),
        )
    assert time.monotonic() - started < 10
    assert result.fallback_used == "builtin:triage"
    assert any("falling back" in w for w in result.warnings)
    assert result.model_calls[0].ok is False and "Timeout" in result.model_calls[0].error
    assert result.output["severity"] == "high"
    assert result.output["recommended_action"].startswith("kubectl rollout restart deployment/api -n production")


def test_500_uses_the_declared_fallback_model(tutorial):
    with (
        FakeAnthropic([Turn(status=500), Turn(status=500)]) as broken,
        FakeOpenAI([Turn(text=fenced(DIAGNOSIS))]) as oa,
    ):
        env = {**env_for(broken), "OPENAI_API_KEY": "k", "OPENAI_BASE_URL": f"{oa.url}/v1"}
        result = run_agent(
            diagnostic(tutorial, tools=[], fallback_model="openai:gpt-4o"),
            "Incident: x",
            options(env=env, provider_max_retries=1),
        )
    assert len(broken.requests) == 2  # the SDK's own retry, then our fallback
    assert result.fallback_used == "openai:gpt-4o"
    assert result.output == DIAGNOSIS


def test_500_without_any_fallback_is_retryable_provider_unavailable(tutorial):
    with FakeAnthropic([Turn(status=503, error_type="overloaded_error")]) as fake:
        with pytest.raises(ProviderUnavailable) as err:
            run_agent(diagnostic(tutorial, tools=[]), "Incident: x", options(env=env_for(fake), default_fallback=None))
    assert err.value.retryable


def test_auth_failure_is_not_retryable(tutorial):
    with FakeAnthropic([Turn(status=401, error_type="authentication_error")]) as fake:
        with pytest.raises(ProviderError) as err:
            run_agent(diagnostic(tutorial, tools=[]), "Incident: x", options(env=env_for(fake), default_fallback=None))
    assert not err.value.retryable and err.value.details["status"] == 401


def test_missing_api_key_falls_back_when_configured(tutorial, sandbox):
    result = run_agent(
        diagnostic(tutorial), incident_prompt(sandbox.incident), options(env={}, kubeconfig=sandbox.kubeconfig_path)
    )
    assert result.fallback_used == "builtin:triage"
    assert any("ANTHROPIC_API_KEY" in w for w in result.warnings)


def test_max_iterations_is_a_typed_failure(tutorial):
    looping = [Turn(tool_calls=[("http", {"url": "http://169.254.169.254/"})]) for _ in range(3)]
    agent = diagnostic(tutorial, tools=[{"type": "HTTP"}], max_iterations=3)
    with FakeAnthropic(looping) as fake:
        with pytest.raises(AgentOutputError, match="max_iterations"):
            run_agent(agent, "Incident: x", options(env=env_for(fake)))
    assert len(fake.requests) == 3


def test_total_timeout_stops_the_run(tutorial):
    slow = [Turn(tool_calls=[("http", {"url": "http://10.0.0.1/"})], delay=0.6) for _ in range(5)]
    agent = diagnostic(tutorial, tools=[{"type": "HTTP"}], timeout_seconds=1)
    with FakeAnthropic(slow) as fake:
        with pytest.raises(AgentTimedOut):
            run_agent(agent, "Incident: x", options(env=env_for(fake), default_fallback=None))
    assert len(fake.requests) <= 3
