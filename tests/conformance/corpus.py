"""The conformance corpus: ASL cases under cases/*.json, each naming the Step Functions
documentation page whose behaviour it records.

A case is ``{"name", "doc", "definition", "input", "mocks"?, "expect"}``. ``mocks`` maps Task
state names to a MockedResponse body (``{"0": {"Return": ...}, "1-2": {"Throw": ...}}``); the
runner turns it into a Step Functions Local MockConfigFile, so the same path as
``aofctl states run`` answers the tasks. ``expect`` is ``{"status", "output"}``,
``{"status", "error", "cause"?}`` (optionally ``"states"``: the states entered, in order), or
``{"refused": [state, field]}`` for a definition Step Functions' validator refuses.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from chalicelib.engine import mocks as mocks_mod
from chalicelib.engine.errors import DefinitionError
from chalicelib.engine.states_run import RunResult, run_definition

CASES = Path(__file__).resolve().parent / "cases"
MACHINE = "Conformance"
EXECUTION = "conformance"
DOC_ROOTS = ("https://docs.aws.amazon.com/step-functions/", "https://states-language.net/")


def load_cases() -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for path in sorted(CASES.glob("*.json")):
        for case in json.loads(path.read_text(encoding="utf-8")):
            found.append({**case, "id": f"{path.stem}/{case['name']}"})
    return found


def mock_config(case: dict[str, Any]) -> dict[str, Any]:
    """The case's mocks as a MockConfigFile with one test case, ``case``."""
    mocked = case.get("mocks", {})
    return {
        "StateMachines": {MACHINE: {"TestCases": {"case": {state: f"{state}Mock" for state in mocked}}}},
        "MockedResponses": {f"{state}Mock": body for state, body in mocked.items()},
    }


def run_case(case: dict[str, Any]) -> RunResult | DefinitionError:
    task_mocks = mocks_mod.parse(mock_config(case), MACHINE, "case")
    try:
        return run_definition(
            case["definition"], case["input"], machine=MACHINE, mocks=task_mocks, execution_name=EXECUTION
        )
    except DefinitionError as refused:
        return refused


def verdict(case: dict[str, Any], outcome: RunResult | DefinitionError) -> list[str]:
    """Every way ``outcome`` differs from the case's expectation (empty: it conforms)."""
    expect = case["expect"]
    if "refused" in expect:
        if not isinstance(outcome, DefinitionError):
            return [f"accepted a definition Step Functions refuses; ran to {outcome.status}"]
        state, field = expect["refused"]
        hits = [f for f in outcome.findings if f[0] == state and (field is None or f[1] == field)]
        return [] if hits else [f"refused, but not for state {state!r} field {field!r}: {outcome}"]
    if isinstance(outcome, DefinitionError):
        return [f"refused a valid definition: {outcome}"]
    problems = []
    if outcome.status != expect["status"]:
        problems.append(
            f"status {outcome.status} (error {outcome.error}: {outcome.cause}), expected {expect['status']}"
        )
    for key in ("output", "error", "cause", "states"):
        if key in expect and getattr(outcome, key) != expect[key]:
            problems.append(f"{key} {getattr(outcome, key)!r}, expected {expect[key]!r}")
    return problems
