"""The Lambda service's own failures, injected at the invoker: the deployed definition retries them.

Step Functions names a refused Invoke call ``Lambda.<ErrorCode>`` (throttled: 429
TooManyRequestsException; a fault on Lambda's side: 500 ServiceException; the SDK could not
reach Lambda: SdkClientException). AWS recommends retrying these on every Lambda Task. Here the
invoker plays the Lambda service: it refuses the first calls of a node with those names, as the
service would, before the function runs. The run must still complete, with each refusal and
retry in its history, and the function must run once. More refusals than the retry policy
allows take the flow's error path.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from chalicelib.compiler import compile_flow, substitute_arns
from chalicelib.deploy.deployed import lambda_timeouts
from chalicelib.engine.clock import FakeClock
from chalicelib.engine.engine import Engine
from chalicelib.engine.errors import StatesError
from chalicelib.engine.invoker import FunctionInvoker
from chalicelib.nodes.dispatch import PLACEHOLDER_FUNCTIONS
from tests.support.scripted import TEST001, Scripted, diagnosis, remediation, tutorial

ROOT = Path(__file__).resolve().parents[3]
FLOW = "incident-auto-response"
#: What the Lambda service answers when it refuses an Invoke call, as Step Functions reports it.
REFUSALS = [
    ("Lambda.TooManyRequestsException", "Rate Exceeded. (Service: AWSLambda; Status Code: 429)"),
    ("Lambda.ServiceException", "Lambda is unable to process the request (Service: AWSLambda; Status Code: 500)"),
    ("Lambda.SdkClientException", "Unable to execute HTTP request: Connection reset"),
    ("Lambda.AWSLambdaException", "Internal error (Service: AWSLambda; Status Code: 502)"),
]


class RefusingLambda(FunctionInvoker):
    """The Lambda service refusing the first calls of one node, then running its function."""

    def __init__(self, dispatch: Scripted, node: str, refusals: list[tuple[str, str]]) -> None:
        super().__init__(dispatch)
        self.node = node
        self.refusals = list(refusals)
        self.refused: list[str] = []

    def invoke(
        self, function_name: str, payload: dict[str, Any], *, task_token: str | None, idempotency_key: str
    ) -> Any:
        if (payload.get("node") or {}).get("id") == self.node and self.refusals:
            error, cause = self.refusals.pop(0)
            self.refused.append(error)
            raise StatesError(error, cause)
        return super().invoke(function_name, payload, task_token=task_token, idempotency_key=idempotency_key)


def deployed_tutorial() -> dict[str, Any]:
    flow, agents = tutorial()
    return substitute_arns(compile_flow(flow, agents, lambda_timeouts(ROOT, "dev")), PLACEHOLDER_FUNCTIONS)


def agents() -> dict[str, Any]:
    return {"diagnose": diagnosis("high"), "remediate": remediation(), "verify-fix": diagnosis("low")}


def start_state() -> dict[str, Any]:
    return {
        "event": {"incident": dict(TEST001), "event_id": "evt-1"},
        "vars": {},
        "nodes": {},
        "flow": {"name": FLOW, "run_id": "run-1", "started_at": "2026-11-26T10:00:00+00:00"},
    }


def run(tmp_path: Path, refusals: list[tuple[str, str]], node: str = "diagnose") -> tuple[Any, RefusingLambda]:
    stubs = Scripted(agents())
    invoker = RefusingLambda(stubs, node, refusals)
    clock = FakeClock()
    engine = Engine(tmp_path / "runs.db", invoker, clock=clock)
    try:
        engine.register_state_machine(FLOW, deployed_tutorial())
        execution = engine.start_execution(FLOW, "run-1", start_state())
        engine.run_until_idle()
        return (engine.describe(execution), engine.history(execution), stubs), invoker
    finally:
        engine.close()


def test_a_throttled_then_failing_lambda_service_is_retried_and_the_run_completes(tmp_path: Path) -> None:
    (described, history, stubs), invoker = run(tmp_path, REFUSALS[:3])
    assert described.status == "SUCCEEDED", (described.error, described.cause)
    assert invoker.refused == [error for error, _ in REFUSALS[:3]]
    failed = [e["taskFailedEventDetails"]["error"] for e in history if e["type"] == "TaskFailed"]
    assert failed == invoker.refused  # each refusal is in the run's history, as Step Functions shows it
    # the function itself ran once, on the fourth try, and saw it was a retry
    [(_, payload)] = [(n, p) for n, p in stubs.payloads if n == "diagnose"]
    assert payload["context"]["retry_count"] == 3
    assert described.output["nodes"]["diagnose"]["status"] == "succeeded"
    assert "close-pagerduty" in [
        e["stateEnteredEventDetails"]["name"] for e in history if e["type"].endswith("StateEntered")
    ]


def test_every_lambda_service_error_name_is_retried(tmp_path: Path) -> None:
    for error, cause in REFUSALS:
        (described, history, _), invoker = run(tmp_path / error, [(error, cause)], node="remediate")
        assert described.status == "SUCCEEDED", error
        assert invoker.refused == [error]
        assert [e["taskFailedEventDetails"]["error"] for e in history if e["type"] == "TaskFailed"] == [error]


def test_a_lambda_service_that_keeps_refusing_takes_the_flows_error_path(tmp_path: Path) -> None:
    (described, history, stubs), invoker = run(tmp_path, REFUSALS[:1] * 4)
    assert len(invoker.refused) == 4  # the first try and three retries, then the policy gives up
    assert described.status == "FAILED"
    entered = [e["stateEnteredEventDetails"]["name"] for e in history if e["type"].endswith("StateEntered")]
    assert "flow failed" in entered and "notify-diagnosis" not in entered
    [(_, failed)] = [(n, p) for n, p in stubs.payloads if n == "lifecycle:node_failed"]
    assert failed["state"]["nodes"]["diagnose"]["Error"] == "Lambda.TooManyRequestsException"
    assert not [n for n, _ in stubs.payloads if n == "diagnose"]  # the function never ran
