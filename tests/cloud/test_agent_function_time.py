"""The deployed agent function reads its own time left from the Lambda context.

``app.agent_node`` is what Lambda calls; its ``context`` says how long the invocation has left.
With too little time for the agent's next tool call, the step ends before the call (the run's
error path takes over) and the cluster sees no change.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest

from chalicelib.errors import RunStopped
from chalicelib.spec import load_resources
from tests.cloud.incidents import ROOT, SCENARIOS
from tests.fakes.openai_api import FakeOpenAI, Turn
from tests.support.scripted import TEST001

RESTART = "kubectl rollout restart deployment/api -n production"


class LambdaContext:
    """What the Lambda runtime passes a Python handler (only the part the product reads)."""

    def __init__(self, seconds_left: float) -> None:
        self.seconds_left = seconds_left

    def get_remaining_time_in_millis(self) -> int:
        return int(self.seconds_left * 1000)


def payload() -> dict[str, Any]:
    """The remediate step's Lambda payload, as the deployed definition builds it."""
    agent = load_resources([ROOT / "agents"]).agents["incident-remediation"]
    return {
        "node": {
            "id": "remediate",
            "type": "Agent",
            "config": {"agent": "incident-remediation", "input": f"Execute: {RESTART}", "timeout_seconds": 300},
        },
        "flow": {"name": "incident-auto-response"},
        "agents": {agent.name: agent.model_dump(by_alias=True, mode="json", exclude_none=True)},
        "state": {"event": {"incident": dict(TEST001)}, "vars": {}, "nodes": {}, "flow": {}},
        "context": {"execution_name": "run-1", "execution_id": "arn:aws:states:us-east-1:1:execution:m:run-1"},
    }


def invoke(seconds_left: float) -> tuple[Any, list[dict[str, Any]], FakeOpenAI]:
    import app as chalice_app
    from chalicelib.service.local import LocalApp
    from chalicelib.web import Backend, install
    from sandbox.testing import running_sandbox

    state = Path(tempfile.mkdtemp(prefix="aof-agent-time-"))
    script = [Turn(tool_calls=[("shell", {"command": RESTART})]), Turn(text="done")]
    with running_sandbox(SCENARIOS["TEST001"]) as cluster, FakeOpenAI(script) as fake:
        env = {
            **cluster.env,
            "OPENAI_API_KEY": "k",  # the remediation agent's model is openai:gpt-4
            "OPENAI_BASE_URL": fake.url,
            "AOF_MONITOR_SECONDS": "0",
            "AOF_STATE_DIR": str(state),
        }
        local = LocalApp([str(ROOT / "agents"), str(ROOT / "flows")], env=env, state_dir=state)
        install(Backend(env, local_app=local))
        try:
            try:
                outcome: Any = chalice_app.agent_node(payload(), LambdaContext(seconds_left))
            except RunStopped as stopped:
                outcome = stopped
            return outcome, [a for a in cluster.actions if not a.get("dry_run")], fake
        finally:
            install(None)
            local.close()


@pytest.mark.slow
def test_too_little_invocation_time_ends_the_step_before_the_change() -> None:
    outcome, changes, fake = invoke(seconds_left=30)
    assert isinstance(outcome, RunStopped), outcome
    # 30 s left less the reserve for recording; the remediation agent's Shell tool may take 60 s
    assert "out of time before tool call shell (rollout restart)" in outcome.message
    assert "25 s left before the function's timeout, and the call may take 60 s" in outcome.message
    assert "no change was made" in outcome.message
    assert changes == [] and len(fake.requests) == 1


@pytest.mark.slow
def test_with_time_enough_the_change_is_made() -> None:
    outcome, changes, _ = invoke(seconds_left=800)
    assert not isinstance(outcome, RunStopped), outcome
    assert changes, "the restart never reached the cluster: the test above proves nothing"
