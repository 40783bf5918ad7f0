"""The same compiled-style definition on moto's Step Functions interpreter and on the engine:
same states entered, same inputs at every state, same outcome (ids and timestamps aside)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from chalicelib.engine.clock import FakeClock
from chalicelib.engine.engine import Engine
from chalicelib.engine.invoker import FunctionInvoker
from tests.support.engine_flows import Stubs, incident, incident_flow, normalise
from tests.support.moto_sfn import MotoSfn

BRANCH_STATES = {"verify-fix", "summarise"}


@pytest.fixture(scope="module")
def moto() -> Iterator[MotoSfn]:
    with MotoSfn(Stubs()) as sfn:
        yield sfn


def canonical(sequence: list[str]) -> list[str]:
    """Parallel branches interleave freely; sort each contiguous stretch of branch states."""
    out: list[str] = []
    stretch: list[str] = []
    for name in [*sequence, ""]:
        if name in BRANCH_STATES:
            stretch.append(name)
            continue
        out.extend(sorted(stretch))
        stretch = []
        if name:
            out.append(name)
    return out


def entered_inputs(history: list[dict[str, Any]]) -> dict[str, Any]:
    """Input each (non-branch) state was entered with, keyed by state name and visit number."""
    seen: dict[str, Any] = {}
    for event in history:
        if event["type"].endswith("StateEntered"):
            d = event["stateEnteredEventDetails"]
            if d["name"] in BRANCH_STATES:
                continue
            key = d["name"]
            while key in seen:
                key += "'"
            seen[key] = normalise(json.loads(d["input"]))
    return seen


Driver = Callable[[Any, str, Stubs], None]


def run_on_moto(
    moto: MotoSfn, definition: dict[str, Any], data: Any, name: str, drive: Driver | None
) -> dict[str, Any]:
    stubs = Stubs()
    moto.dispatch = stubs
    arn = moto.create_state_machine(definition)
    execution = moto.start(arn, data, name)
    if drive is not None:
        drive(moto, execution, stubs)
    desc = moto.wait_for(execution, timeout=30)
    history = moto.history(execution)
    return {
        "status": desc["status"],
        "error": desc.get("error"),
        "cause": desc.get("cause"),
        "output": normalise(json.loads(desc["output"])) if desc.get("output") else None,
        "states": canonical(moto.state_sequence(execution)),
        "inputs": entered_inputs(history),
        "calls": sorted(stubs.calls),
    }


def run_on_engine(tmp: Path, definition: dict[str, Any], data: Any, name: str, drive: Driver | None) -> dict[str, Any]:
    stubs = Stubs()
    clock = FakeClock()
    engine = Engine(tmp / f"{name}.db", FunctionInvoker(stubs), clock=clock)
    try:
        engine.register_state_machine("incident", definition)
        execution = engine.start_execution("incident", name, data)
        engine.run_until_idle()
        if drive is not None:
            drive(engine, execution, stubs)
            engine.run_until_idle()
        desc = engine.describe(execution)
        return {
            "status": desc.status,
            "error": desc.error,
            "cause": desc.cause,
            "output": normalise(desc.output),
            "states": canonical(engine.state_sequence(execution)),
            "inputs": entered_inputs(engine.history(execution)),
            "calls": sorted(stubs.calls),
        }
    finally:
        engine.close()


def wait_token(stubs: Stubs) -> str:
    import time

    deadline = time.monotonic() + 10
    while not stubs.tokens:
        assert time.monotonic() < deadline, "the approval task never received its token"
        time.sleep(0.02)
    return stubs.tokens[-1]


def approve(backend: Any, execution: str, stubs: Stubs) -> None:
    backend.send_task_success(wait_token(stubs), {"status": "approved", "output": {"approved": True, "by": "U123"}})


def decline(backend: Any, execution: str, stubs: Stubs) -> None:
    backend.send_task_success(wait_token(stubs), {"status": "declined", "output": {"approved": False}})


def reject(backend: Any, execution: str, stubs: Stubs) -> None:
    backend.send_task_failure(wait_token(stubs), "Rejected", "operator said no")


def let_it_time_out(backend: Any, execution: str, stubs: Stubs) -> None:
    wait_token(stubs)
    if isinstance(backend, Engine):
        assert isinstance(backend.clock, FakeClock)
        backend.clock.advance(2)  # past the approval's TimeoutSeconds: 1


CASES: dict[str, tuple[dict[str, Any], Driver | None]] = {
    "happy-path-with-parallel": (incident("T1"), None),
    "retry-then-succeed": (incident("T2", fix_failures=1), None),
    "catch-non-retryable": (incident("T3", fix_failures=1, fix_error="NodeFailed"), None),
    "retries-exhausted-then-catch": (incident("T4", fix_failures=5), None),
    "choice-default": (incident("T5", confidence=0.1), None),
    "approval-approved": (incident("T6", urgency="high"), approve),
    "approval-declined": (incident("T7", urgency="high"), decline),
    "approval-rejected-by-failure": (incident("T8", urgency="high"), reject),
    "approval-timeout": (incident("T9", urgency="high"), let_it_time_out),
}


@pytest.mark.parametrize("case", list(CASES))
def test_engine_matches_step_functions(case: str, moto: MotoSfn, tmp_path: Path) -> None:
    data, drive = CASES[case]
    name = f"{case}-run"
    on_moto = run_on_moto(moto, incident_flow(), data, name, drive)
    on_engine = run_on_engine(tmp_path, incident_flow(), data, name, drive)
    if drive is reject:
        # moto 5.2.5's SendTaskFailure handler drops `cause` (responses.py passes only `error`);
        # Step Functions and the engine keep it.
        assert on_engine["inputs"]["escalate"]["approval_error"] == {
            "Error": "Rejected",
            "Cause": "operator said no",
        }
        for result in (on_moto, on_engine):
            for state in ("escalate", "failed"):
                result["inputs"][state]["approval_error"]["Cause"] = "<dropped by moto>"
    assert on_engine["states"] == on_moto["states"]
    assert on_engine["inputs"] == on_moto["inputs"]
    assert on_engine["calls"] == on_moto["calls"]
    for key in ("status", "error", "cause", "output"):
        assert on_engine[key] == on_moto[key], key


def test_expected_paths_are_taken(moto: MotoSfn, tmp_path: Path) -> None:
    """Guards the differential test itself: the cases do exercise different paths."""
    retried = run_on_engine(tmp_path, incident_flow(), incident("R", fix_failures=1), "r", None)
    assert retried["status"] == "SUCCEEDED"
    assert [c for c in retried["calls"] if c[1] == "auto-fix"] == [("aof-dev-agent_node", "auto-fix", "r")] * 2
    timed_out = run_on_engine(tmp_path, incident_flow(), incident("X", urgency="high"), "x", let_it_time_out)
    assert timed_out["status"] == "FAILED" and timed_out["error"] == "Escalated"
    assert timed_out["inputs"]["escalate"]["approval_error"]["Error"] == "States.Timeout"


def test_machine_timeout_matches(moto: MotoSfn, tmp_path: Path) -> None:
    definition = {
        "TimeoutSeconds": 1,
        "StartAt": "first",
        "States": {"first": {"Type": "Wait", "Seconds": 3, "Next": "done"}, "done": {"Type": "Succeed"}},
    }
    on_moto = run_on_moto(moto, definition, {"a": 1}, "machine-timeout", None)
    on_engine = run_on_engine(tmp_path, definition, {"a": 1}, "machine-timeout", None)
    assert on_moto["status"] == on_engine["status"] == "TIMED_OUT"
    assert on_engine["states"] == on_moto["states"] == ["first"]
