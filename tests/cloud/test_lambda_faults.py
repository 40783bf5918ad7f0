"""Faults of the deployed definition, executed for real by moto's Step Functions.

The Lambda service refuses Invoke calls now and then (429 TooManyRequestsException when the
account is throttled, 500 ServiceException, 502 AWSLambdaException; SdkClientException when the
call does not get through). Step Functions reports these as ``Lambda.<code>``, and every Task of
the deployed definition must retry them with backoff and jitter. Here moto's Lambda answers the
first Invoke calls of some nodes with those errors, on the wire: the run must still succeed,
with each refusal in its history. A branch of a Parallel that fails must take the flow's error
path (the lifecycle function records the failure and escalates).

Moto waits the retries' real seconds (``IntervalSeconds`` 2, backoff 2, full jitter): a few
seconds per run.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from moto.core.exceptions import JsonRESTError

from chalicelib.compiler import compile_flow, substitute_arns
from chalicelib.deploy.deployed import lambda_timeouts
from chalicelib.errors import PolicyDenied
from chalicelib.nodes.dispatch import PLACEHOLDER_FUNCTIONS
from chalicelib.spec import load_text
from tests.support.moto_sfn import MotoSfn
from tests.support.scripted import TEST001, Scripted, diagnosis, remediation, tutorial
from tests.support.synthetic_flows import FLOWS as SYNTHETIC

ROOT = Path(__file__).resolve().parents[2]


class LambdaRefused(JsonRESTError):
    """The Lambda service's error answer to an Invoke call (before any function runs)."""

    def __init__(self, code: str, message: str, status: int) -> None:
        super().__init__(code, message)
        self.code = status


#: (node, what the Lambda service answers its first calls), as AWS documents these errors.
REFUSALS: dict[str, list[LambdaRefused]] = {
    "diagnose": [
        LambdaRefused("TooManyRequestsException", "Rate Exceeded.", 429),
        LambdaRefused("ServiceException", "Lambda is unable to process the request.", 500),
    ],
    "remediate": [LambdaRefused("AWSLambdaException", "Internal error.", 502)],
    "close-pagerduty": [LambdaRefused("SdkClientException", "Unable to execute HTTP request.", 500)],
}


class RefusingLambda(Scripted):
    """The node functions behind a Lambda service that refuses the first calls of some nodes."""

    def __init__(self, agents: dict[str, Any], refusals: dict[str, list[LambdaRefused]]) -> None:
        super().__init__(agents)
        self.refusals = {node: list(errors) for node, errors in refusals.items()}
        self.refused: list[tuple[str, str]] = []

    def __call__(self, function: str, payload: dict[str, Any]) -> Any:
        node = (payload.get("node") or {}).get("id")
        with self.lock:
            pending = self.refusals.get(node) or []
            refusal = pending.pop(0) if pending else None
            if refusal is not None:
                self.refused.append((node, f"Lambda.{refusal.error_type}"))
        if refusal is not None:
            raise refusal
        return super().__call__(function, payload)


@pytest.fixture
def moto() -> Iterator[MotoSfn]:
    with MotoSfn(Scripted()) as sfn:
        yield sfn


def deployed(flow: Any, agents: dict[str, Any] | None = None) -> dict[str, Any]:
    """The definition ``aofctl apply`` deploys to the dev stage."""
    return substitute_arns(compile_flow(flow, agents or {}, lambda_timeouts(ROOT, "dev")), PLACEHOLDER_FUNCTIONS)


def start_state(flow: str, event: dict[str, Any]) -> dict[str, Any]:
    return {
        "event": event,
        "vars": {},
        "nodes": {},
        "flow": {"name": flow, "run_id": "run-1", "started_at": "2026-11-26T10:00:00+00:00"},
    }


def run(moto: MotoSfn, definition: dict[str, Any], data: dict[str, Any], stubs: Scripted) -> dict[str, Any]:
    moto.dispatch = stubs
    execution = moto.start(moto.create_state_machine(definition), data, "run-1")
    described = moto.wait_for(execution, timeout=90)
    history = moto.history(execution)
    return {
        "status": described["status"],
        "error": described.get("error"),
        "failed": [e["taskFailedEventDetails"]["error"] for e in history if e["type"] == "TaskFailed"],
        "states": moto.state_sequence(execution),
    }


@pytest.mark.slow
def test_lambda_service_errors_are_retried_and_the_run_completes(moto: MotoSfn) -> None:
    flow, agents = tutorial()
    stubs = RefusingLambda(
        {"diagnose": diagnosis("high"), "remediate": remediation(), "verify-fix": diagnosis("low")}, REFUSALS
    )
    data = start_state(flow.name, {"incident": dict(TEST001), "event_id": "evt-1"})
    result = run(moto, deployed(flow, agents), data, stubs)
    assert result["status"] == "SUCCEEDED", result
    expected = [(node, f"Lambda.{e.error_type}") for node, errors in REFUSALS.items() for e in errors]
    assert sorted(stubs.refused) == sorted(expected)
    # Every refusal is in the execution's history, named as Step Functions names it ...
    assert sorted(result["failed"]) == sorted(error for _, error in expected)
    # ... and each refused node's function then ran, once.
    assert all(stubs.calls.count(node) == 1 for node in REFUSALS), stubs.calls
    assert "flow failed" not in result["states"] and "close-pagerduty" in result["states"]


@pytest.mark.slow
def test_a_failing_parallel_branch_takes_the_flows_error_path(moto: MotoSfn) -> None:
    resources = load_text(SYNTHETIC["fan-out"], "fan-out.yaml")
    assert not resources.problems, resources.problems
    flow = next(iter(resources.flows.values()))
    definition = deployed(flow)
    assert any(s["Type"] == "Parallel" for s in definition["States"].values())
    stubs = Scripted(fail={"notify-b": PolicyDenied("refused: outside the allowed channels")})
    result = run(moto, definition, start_state(flow.name, {}), stubs)
    assert result["status"] == "FAILED" and result["error"] == "NodeFailed", result
    assert "flow failed" in result["states"] and "join" not in result["states"]
    [(_, failed)] = [(n, p) for n, p in stubs.payloads if n == "lifecycle:node_failed"]
    # the lifecycle function is told which branch node failed, and why
    assert failed["state"]["failure"]["Error"] == "PolicyDenied"
