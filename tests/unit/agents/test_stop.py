"""A stopped run: the agent makes no further tool call or model call, and says why."""

from __future__ import annotations

from typing import Any

from chalicelib.agents.loop import run_agent
from chalicelib.agents.types import Action
from tests.fakes.anthropic_api import FakeAnthropic, Turn
from tests.unit.agents.conftest import DIAGNOSIS, SHELL_KUBECTL, fenced, options, variant


class CountingGate:
    """Lets every call through and counts them (the run is stopped after the first)."""

    def __init__(self) -> None:
        self.checked: list[Action] = []

    def check(self, action: Action) -> None:
        self.checked.append(action)


def test_no_tool_or_model_call_after_the_run_is_stopped(tutorial: Any, sandbox: Any) -> None:
    gate = CountingGate()
    stop = "the run was stopped (Ctrl-C in aofctl run)"
    script = [
        Turn(
            tool_calls=[
                ("shell", {"command": "kubectl get pods -n production"}),
                ("shell", {"command": "kubectl rollout restart deployment/api -n production"}),
            ]
        ),
        Turn(text=fenced(DIAGNOSIS)),
    ]
    agent = variant(tutorial["incident-diagnostic"], tools=[SHELL_KUBECTL])
    with FakeAnthropic(script) as fake:
        result = run_agent(
            agent,
            "Incident: x",
            options(
                env={"ANTHROPIC_API_KEY": "k", "ANTHROPIC_BASE_URL": fake.url},
                kubeconfig=sandbox.kubeconfig_path,
                gate=gate,
                # Stopped once the first tool call went through (as Ctrl-C pressed during it).
                stop_requested=lambda: stop if gate.checked else None,
            ),
        )
    assert result.stopped == stop
    assert [c.input["command"] for c in result.tool_calls] == ["kubectl get pods -n production"]
    assert len(fake.requests) == 1, "the model was asked again after the stop"
    assert result.fallback_used is None and len(result.model_calls) == 1, "a stop is not an outage"
    assert not [a for a in sandbox.actions if not a.get("dry_run")], "the second call changed the cluster"


def test_a_run_stopped_before_the_agent_starts_calls_nothing(tutorial: Any) -> None:
    with FakeAnthropic([Turn(text=fenced(DIAGNOSIS))]) as fake:
        result = run_agent(
            variant(tutorial["incident-diagnostic"], tools=[]),
            "Incident: x",
            options(
                env={"ANTHROPIC_API_KEY": "k", "ANTHROPIC_BASE_URL": fake.url},
                stop_requested=lambda: "a human took the incident over (incident.acknowledged)",
            ),
        )
    assert result.stopped == "a human took the incident over (incident.acknowledged)"
    assert fake.requests == [] and result.output == {}
