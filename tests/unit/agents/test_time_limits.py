"""Out of time: the agent does not start a tool call that could outlast the function or its step.

A deployed agent's Lambda function is killed at its timeout, mid-call if need be, and a change
half made is then recorded nowhere. The loop reads the time left (the Lambda context's
``get_remaining_time_in_millis``, the step's budget) before each tool call and stops instead of
starting a call whose own timeout is longer, saying why in its result.
"""

from __future__ import annotations

from typing import Any

from chalicelib.agents.loop import run_agent
from chalicelib.agents.time_limits import LAMBDA_RESERVE_SECONDS, lambda_limit
from chalicelib.agents.types import Action
from tests.fakes.anthropic_api import FakeAnthropic, Turn
from tests.unit.agents.conftest import DIAGNOSIS, SHELL_KUBECTL, fenced, options, variant

READ = "kubectl get pods -n production"
RESTART = "kubectl rollout restart deployment/api -n production"


class FakeLambdaContext:
    """The Lambda runtime's context object: the time left drops as the calls go through."""

    def __init__(self, seconds_left: list[float], gate: CountingGate) -> None:
        self.seconds_left = seconds_left
        self.gate = gate

    def get_remaining_time_in_millis(self) -> int:
        index = min(len(self.gate.checked), len(self.seconds_left) - 1)
        return int(self.seconds_left[index] * 1000)


class CountingGate:
    def __init__(self) -> None:
        self.checked: list[Action] = []

    def check(self, action: Action) -> None:
        self.checked.append(action)


def converse(tutorial: Any, sandbox: Any, seconds_left: list[float]) -> tuple[Any, FakeAnthropic, CountingGate]:
    gate = CountingGate()
    script = [
        Turn(tool_calls=[("shell", {"command": READ})]),
        Turn(tool_calls=[("shell", {"command": RESTART})]),
        Turn(text=fenced(DIAGNOSIS)),
    ]
    agent = variant(tutorial["incident-diagnostic"], tools=[SHELL_KUBECTL])  # the Shell tool's timeout: 60 s
    with FakeAnthropic(script) as fake:
        result = run_agent(
            agent,
            "Incident: x",
            options(
                env={"ANTHROPIC_API_KEY": "k", "ANTHROPIC_BASE_URL": fake.url},
                kubeconfig=sandbox.kubeconfig_path,
                gate=gate,
                time_limits=(lambda_limit(FakeLambdaContext(seconds_left, gate)),),
            ),
        )
    return result, fake, gate


def changes(sandbox: Any) -> list[Any]:
    return [a for a in sandbox.actions if not a.get("dry_run")]


def test_too_little_function_time_for_the_first_call_stops_before_it(tutorial: Any, sandbox: Any) -> None:
    result, fake, gate = converse(tutorial, sandbox, [20.0])
    left = 20 - LAMBDA_RESERVE_SECONDS
    assert result.stopped == (
        f"out of time before tool call shell (get): {left:.0f} s left before the function's timeout,"
        " and the call may take 60 s"
    )
    assert result.tool_calls == [] and gate.checked == []
    assert len(fake.requests) == 1, "the model was asked again after the loop ran out of time"
    assert result.fallback_used is None, "running out of time is not an outage"


def test_time_running_out_mid_conversation_stops_before_the_change(tutorial: Any, sandbox: Any) -> None:
    # Enough time for the read; after it the function has 40 s left, less than the restart may take.
    result, fake, gate = converse(tutorial, sandbox, [300.0, 45.0])
    assert [c.input["command"] for c in result.tool_calls] == [READ]
    assert result.stopped is not None and "40 s left before the function's timeout" in result.stopped
    assert [a.argv for a in gate.checked] == [gate.checked[0].argv]  # the restart never reached the gate
    assert len(fake.requests) == 2
    assert not changes(sandbox), "the restart reached the cluster after the time ran out"


def test_with_time_enough_every_call_runs(tutorial: Any, sandbox: Any) -> None:
    result, fake, _ = converse(tutorial, sandbox, [300.0])
    assert result.stopped is None
    assert [c.input["command"] for c in result.tool_calls] == [READ, RESTART]
    assert len(fake.requests) == 3
    assert changes(sandbox), "the restart did not reach the cluster: the test above proves nothing"
