"""The compiled tutorial flow executes for real in moto's Step Functions and takes the right path.

Each case also runs on the embedded engine with the same stand-ins, which must enter the same
states in the same order and end with the same node records.
"""

import json
import time
from typing import Any

import pytest

from chalicelib.engine.engine import Engine
from chalicelib.engine.invoker import FunctionInvoker
from tests.support.moto_sfn import MotoSfn
from tests.support.scripted import (
    TEST001,
    TEST002,
    Scripted,
    decision,
    definition_of,
    diagnosis,
    initial_state,
    remediation,
    tutorial,
)

MAIN = ["parse-alert", "diagnose", "notify-diagnosis", "check-severity"]
SUCCESS_TAIL = [
    "remediate?",
    "remediate",
    "verify-fix",
    "remediation-failed",
    "notify-success",
    "close-pagerduty",
    "log-incident",
]


def run_moto(definition: dict, script: Scripted, state: dict, decide: str | None = None) -> tuple[list[str], dict]:
    with MotoSfn(script) as sfn:
        arn = sfn.create_state_machine(definition)
        execution = sfn.start(arn, state, name="run-1")
        if decide is not None:
            token = sfn.wait_for_token()
            # The execution waits on the approval's task token until a decision arrives.
            assert sfn.describe(execution)["status"] == "RUNNING"
            assert sfn.state_sequence(execution)[-1] == "request-approval"
            sfn.send_task_success(token, decision(decide))
        described = sfn.wait_for(execution, timeout=60)
        return sfn.state_sequence(execution), {
            "status": described["status"],
            "output": json.loads(described.get("output") or "{}"),
        }


def run_engine(
    definition: dict, script: Scripted, state: dict, tmp_path, decide: str | None = None
) -> tuple[list[str], dict]:
    tokens: list[str] = []

    def dispatch(function: str, payload: dict) -> Any:
        if payload.get("task_token"):
            tokens.append(payload["task_token"])
        return script(function, payload)

    engine = Engine(tmp_path / "engine.db", FunctionInvoker(dispatch), max_workers=2)
    try:
        engine.register_state_machine("flow", definition)
        engine.start()
        execution = engine.start_execution("flow", "run-1", state)
        if decide is not None:
            deadline = time.monotonic() + 20
            while not tokens and time.monotonic() < deadline:
                time.sleep(0.02)
            engine.send_task_success(tokens[0], decision(decide))
        described = engine.wait_for(execution, timeout=60)
        return engine.state_sequence(execution), {"status": described.status, "output": described.output}
    finally:
        engine.stop()


def both(definition, make_script, state, tmp_path, decide=None):
    moto_seq, moto_out = run_moto(definition, make_script(), state, decide)
    engine_seq, engine_out = run_engine(definition, make_script(), state, tmp_path, decide)
    assert engine_seq == moto_seq
    assert engine_out["status"] == moto_out["status"]
    assert strip(engine_out["output"]) == strip(moto_out["output"])
    return moto_seq, moto_out["output"]


def strip(output: dict | None) -> dict:
    """Node records without the values that differ between runs (timestamps, tokens)."""
    nodes = dict((output or {}).get("nodes") or {})
    for key, record in nodes.items():
        if isinstance(record, dict) and "Cause" in record:
            nodes[key] = {"Error": record["Error"]}
    return nodes


def agents(sev="high", approval=False, result="success"):
    return lambda: Scripted(
        {
            "diagnose": diagnosis(sev, approval),
            "remediate": remediation(result),
            "verify-fix": diagnosis("low"),
            "rollback": remediation("success"),
        }
    )


@pytest.fixture
def definition():
    flow, agents_ = tutorial()
    return definition_of(flow, agents_)


def test_test001_non_critical_is_auto_approved_and_resolved(definition, tmp_path):
    seq, out = both(definition, agents("high", False), initial_state(TEST001), tmp_path)
    assert seq == [*MAIN, "auto-approve", *SUCCESS_TAIL]
    nodes = out["nodes"]
    assert nodes["auto_approve"]["output"] == {"APPROVED": True}
    assert nodes["close_pagerduty"]["status"] == "succeeded"
    assert "request_approval" not in nodes
    assert out["vars"]["K8S_NAMESPACE"] == "production"


def test_test002_critical_waits_for_the_token_and_approval_lets_it_remediate(definition, tmp_path):
    seq, out = both(definition, agents("critical", True), initial_state(TEST002), tmp_path, decide="approve")
    assert seq == [*MAIN, "request-approval", *SUCCESS_TAIL]
    assert out["nodes"]["request_approval"]["output"]["decision"] == "approve"
    assert out["nodes"]["remediate"]["status"] == "succeeded"


def test_skip_decision_skips_remediation_and_all_after_with_the_reason(definition, tmp_path):
    seq, out = both(definition, agents("critical", True), initial_state(TEST002), tmp_path, decide="skip")
    assert seq == [*MAIN, "request-approval", "remediate?", "skip remediate", "skip remediate: record"]
    nodes = out["nodes"]
    assert nodes["remediate"] == {
        "status": "skipped",
        "skipped": True,
        "reason": "conditions of 'remediate' did not hold",
    }
    for later in ("verify_fix", "notify_success", "close_pagerduty", "log_incident", "rollback", "escalate"):
        assert nodes[later]["skipped"] is True
        assert nodes[later]["reason"] == "'remediate' was skipped"


def test_approval_timeout_takes_the_timed_out_branch(tmp_path):
    flow, agents_ = tutorial(**{"timeout_seconds: 600  # 10 minutes": "timeout_seconds: 1"})
    definition = definition_of(flow, agents_)
    seq, out = both(definition, agents("critical", True), initial_state(TEST001), tmp_path)
    assert seq == [
        *MAIN,
        "request-approval",
        "request-approval timed out",
        "remediate?",
        "skip remediate",
        "skip remediate: record",
    ]
    assert out["nodes"]["request_approval"]["output"]["timed_out"] is True
    assert out["nodes"]["remediate"]["skipped"] is True


def test_failed_remediation_rolls_back_and_escalates(definition, tmp_path):
    seq, out = both(definition, agents("high", False, result="failed"), initial_state(TEST001), tmp_path)
    assert seq == [
        *MAIN,
        "auto-approve",
        "remediate?",
        "remediate",
        "verify-fix",
        "remediation-failed",
        "rollback",
        "escalate",
    ]
    nodes = out["nodes"]
    assert nodes["escalate"]["status"] == "succeeded"
    # The branch the Choice did not take never ran (the decision is in the history).
    assert "notify_success" not in nodes and "close_pagerduty" not in nodes


def test_missing_severity_fails_closed_with_neither_branch(definition, tmp_path):
    def script():
        return Scripted(
            {"diagnose": {k: v for k, v in diagnosis().items() if k not in ("severity", "requires_approval")}}
        )

    seq, out = both(definition, script, initial_state(TEST001), tmp_path)
    assert seq == [
        *MAIN,
        "skip after check-severity",
        "skip after check-severity: record",
        "remediate?",
        "skip remediate",
        "skip remediate: record",
    ]
    nodes = out["nodes"]
    assert nodes["request_approval"]["skipped"] is True
    assert nodes["auto_approve"]["skipped"] is True
    assert "no branch after 'check-severity'" in nodes["request_approval"]["reason"]
