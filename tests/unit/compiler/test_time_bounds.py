"""Time bounds of a deployed definition: no function outlives its Task state, retries fit.

When a Task state times out the run moves on (and may escalate) while the Lambda it invoked
runs until its own timeout: an agent would go on changing the cluster. So the deployed
definition (compiled with the stage's Lambda timeouts) must keep every function below its
state, and the compiler refuses a flow that cannot, naming the node.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from chalicelib.compiler import compile_flow
from chalicelib.compiler.time_bounds import STATE_MARGIN, http_budget
from chalicelib.deploy.deployed import lambda_timeouts
from chalicelib.errors import SpecError
from chalicelib.spec import load_resources

ROOT = Path(__file__).resolve().parents[3]
FLOW = "incident-auto-response"
FUNCTIONS = {
    "${TransformNodeFunctionArn}": "transform_node",
    "${AgentNodeFunctionArn}": "agent_node",
    "${SlackNodeFunctionArn}": "slack_node",
    "${ApprovalNodeFunctionArn}": "approval_node",
    "${HttpNodeFunctionArn}": "http_node",
    "${LifecycleFunctionArn}": "lifecycle",
}
LAMBDA_ERRORS = {
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
}


def tasks(states: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    found = []
    for name, state in states.items():
        if state["Type"] == "Task":
            found.append((name, state))
        for branch in state.get("Branches", []):
            found.extend(tasks(branch["States"]))
    return found


def tutorial(tmp_path: Path, edit: tuple[str, str] | None = None) -> Any:
    shutil.copytree(ROOT / "flows", tmp_path / "flows")
    if edit:
        path = tmp_path / "flows" / "incident-response-flow.yaml"
        text = path.read_text()
        assert edit[0] in text
        path.write_text(text.replace(edit[0], edit[1], 1))
    return load_resources([ROOT / "agents", tmp_path / "flows"])


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_every_task_outlasts_its_function_in_each_stage(tmp_path: Path, stage: str) -> None:
    limits = lambda_timeouts(ROOT, stage)
    resources = tutorial(tmp_path)
    for flow in resources.flows.values():
        definition = compile_flow(flow, resources.agents, limits)
        for name, state in tasks(definition["States"]):
            function = FUNCTIONS[state["Parameters"]["FunctionName"]]
            assert limits[function] < state["TimeoutSeconds"], (stage, flow.name, name)


def test_close_pagerduty_state_outlasts_its_three_tries(tmp_path: Path) -> None:
    resources = tutorial(tmp_path)
    deployed = compile_flow(resources.flows[FLOW], resources.agents, lambda_timeouts(ROOT, "dev"))
    embedded = compile_flow(resources.flows[FLOW], resources.agents)
    config = deployed["States"]["close-pagerduty"]["Parameters"]["Payload"]["node"]["config"]
    assert http_budget(config) == 3 * 10 + 2 * 30
    assert (
        deployed["States"]["close-pagerduty"]["TimeoutSeconds"]
        == lambda_timeouts(ROOT, "dev")["http_node"] + STATE_MARGIN
    )
    assert embedded["States"]["close-pagerduty"]["TimeoutSeconds"] > http_budget(config)


def test_an_agent_state_shorter_than_the_agent_function_is_refused_by_name(tmp_path: Path) -> None:
    resources = tutorial(tmp_path, ("        timeout_seconds: 120\n", "        timeout_seconds: 60\n"))
    with pytest.raises(SpecError) as raised:
        compile_flow(resources.flows[FLOW], resources.agents, lambda_timeouts(ROOT, "dev"))
    (problem,) = raised.value.problems
    assert "node 'verify-fix'" in problem and "agent_node may run 110 s" in problem and "after 60 s" in problem


def test_http_tries_that_cannot_fit_the_function_are_refused_by_name(tmp_path: Path) -> None:
    edit = ("        method: PUT\n", "        method: PUT\n        timeout_seconds: 40\n        retries: 2\n")
    resources = tutorial(tmp_path, edit)
    with pytest.raises(SpecError) as raised:
        compile_flow(resources.flows[FLOW], resources.agents, lambda_timeouts(ROOT, "dev"))
    (problem,) = raised.value.problems
    assert "node 'close-pagerduty': 3 tries of 40" in problem and "need 180 s" in problem
    assert "http_node stops after 120 s" in problem


def test_every_task_retries_lambda_service_errors_with_backoff_and_jitter(tmp_path: Path) -> None:
    resources = tutorial(tmp_path)
    for flow in resources.flows.values():
        for name, state in tasks(compile_flow(flow, resources.agents, lambda_timeouts(ROOT, "dev"))["States"]):
            rules = [r for r in state["Retry"] if LAMBDA_ERRORS <= set(r["ErrorEquals"])]
            assert rules, (flow.name, name)
            assert all(r["BackoffRate"] > 1 and r["JitterStrategy"] == "FULL" for r in rules), (flow.name, name)


def test_an_agent_tool_slower_than_the_agent_function_is_refused_by_name(tmp_path: Path) -> None:
    # The agent loop starts no call that could outlast its function: such a tool could never run.
    agents = tmp_path / "agents"
    shutil.copytree(ROOT / "agents", agents)
    path = agents / "remediation-agent.yaml"
    text = path.read_text()
    assert "        timeout_seconds: 60\n" in text
    path.write_text(text.replace("        timeout_seconds: 60\n", "        timeout_seconds: 120\n", 1))
    shutil.copytree(ROOT / "flows", tmp_path / "flows")
    resources = load_resources([agents, tmp_path / "flows"])
    with pytest.raises(SpecError) as raised:
        compile_flow(resources.flows[FLOW], resources.agents, lambda_timeouts(ROOT, "dev"))
    remediate, rollback = raised.value.problems
    assert "node 'remediate': agent incident-remediation's Shell tool (tools[0]) may take 120 s" in remediate
    assert "agent_node stops after 110 s" in remediate and "lower the tool's timeout_seconds to 105" in remediate
    assert "node 'rollback'" in rollback
    # the embedded engine has no function timeout: the same agents compile there
    compile_flow(resources.flows[FLOW], resources.agents)
