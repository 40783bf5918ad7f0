"""Runs corpus cases on moto's Step Functions interpreter (tests/support/moto_sfn.py).

Moto calls Lambda only, so each mocked Task becomes a Lambda function of the state's name
(``arn:aws:lambda:...:function:STATE``, whose result is the function's return value, as in
Step Functions), answering from the case's mocks: a ``Throw`` raises an exception whose class
name is the error. Moto sleeps real seconds, so Wait durations become 0 and Retry back-off is
1 s flat; timing is not what the corpus compares, and cases that depend on it are left out.
"""

from __future__ import annotations

import copy
import json
import logging
import threading
from typing import Any

from botocore.exceptions import ClientError

from tests.conformance.corpus import EXECUTION, MACHINE
from tests.support.moto_sfn import ACCOUNT_ID, REGION, MotoSfn

# Cases not run on moto, and why (shown in docs/conformance.md).
LEFT_OUT = {"flow/machine-timeout": "its Wait is shortened to 0 s for moto, so nothing can time out."}


def _rewrite(definition: dict[str, Any], *, timing: bool) -> dict[str, Any]:
    out = copy.deepcopy(definition)

    def walk(machine: dict[str, Any]) -> None:
        for name, state in machine.get("States", {}).items():
            if not isinstance(state, dict):
                continue
            if state.get("Type") == "Task":
                state["Resource"] = f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{name}"
            if timing and state.get("Type") == "Wait" and isinstance(state.get("Seconds"), int):
                state["Seconds"] = 0
            for retrier in state.get("Retry", []) if timing and isinstance(state.get("Retry"), list) else []:
                if isinstance(retrier, dict):
                    retrier["BackoffRate"] = 1.0
            for branch in state.get("Branches", []) or []:
                if isinstance(branch, dict):
                    walk(branch)
            for key in ("ItemProcessor", "Iterator"):
                if isinstance(state.get(key), dict):
                    walk(state[key])

    walk(out)
    return out


class _Answers:
    def __init__(self, mocks: dict[str, Any]) -> None:
        self.mocks = mocks
        self.counts: dict[str, int] = {}
        self.lock = threading.Lock()

    def __call__(self, function: str, payload: Any) -> Any:
        with self.lock:
            n = self.counts.get(function, 0)
            self.counts[function] = n + 1
        for key, answer in self.mocks.get(function, {}).items():
            first, _, last = key.partition("-")
            if int(first) <= n <= int(last or first):
                if "Return" in answer:
                    return answer["Return"]
                error = type(answer["Throw"]["Error"], (Exception,), {})
                raise error(answer["Throw"].get("Cause", ""))
        raise type("States.Runtime", (Exception,), {})(f"no mocked answer for invocation {n}")


def _json(text: str | None) -> Any:
    if not text:
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text  # moto stores a string output without JSON quotes


def run_cases(cases: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Each case's outcome on moto, by case id (timing-dependent cases left out)."""
    logging.getLogger("moto").setLevel(logging.CRITICAL)  # its interpreter logs every failure
    results: dict[str, dict[str, Any]] = {}
    current: dict[str, _Answers] = {}
    with MotoSfn(lambda name, payload: current["answers"](name, payload)) as sfn:
        for case in cases:
            if case["id"] in LEFT_OUT:
                continue
            current["answers"] = _Answers(case.get("mocks", {}))
            # A definition the validator must refuse is sent as written.
            definition = _rewrite(case["definition"], timing="refused" not in case["expect"])
            sfn.ensure_functions(set(case.get("mocks", {})))
            try:
                arn = sfn.create_state_machine(definition, name=MACHINE)
            except ClientError as exc:
                results[case["id"]] = {"refused": True, "message": str(exc)}
                continue
            try:
                execution = sfn.start(arn, case["input"], name=EXECUTION)
                desc = sfn.wait_for(execution, timeout=30)
            except Exception as exc:  # moto's own failure: report it as the outcome
                results[case["id"]] = {"status": "CRASHED", "error": type(exc).__name__, "cause": str(exc)}
                continue
            output = desc.get("output")
            results[case["id"]] = {
                "status": desc["status"],
                "output": _json(output),
                "error": desc.get("error"),
                "cause": desc.get("cause"),
            }
            sfn.client.delete_state_machine(stateMachineArn=arn)
    return results
