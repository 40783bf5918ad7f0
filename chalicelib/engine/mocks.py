"""Task results from a mock file in AWS Step Functions Local's ``MockConfigFile`` format.

::

    {"StateMachines": {"Machine": {"TestCases": {"HappyPath": {"State": "MockedOk"}}}},
     "MockedResponses": {"MockedOk": {"0": {"Return": {...}},
                                      "1-2": {"Throw": {"Error": "E", "Cause": "c"}}}}}

A test case maps Task state names to a mocked response; the response's keys are invocation
numbers (from 0, retries and loop passes counted) or ranges of them. A mocked Task calls
nothing: ``Return`` is its result, ``Throw`` its error. The same file works with AWS's tool.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chalicelib.errors import SpecError

_RANGE = re.compile(r"(\d+)(?:-(\d+))?")


class MockConfigError(SpecError):
    """The mock file is not in the MockConfigFile format, or lacks the machine or test case."""

    def __init__(self, source: str, message: str) -> None:
        super().__init__(f"{source}: {message}", [f"{source}: {message}"])


@dataclass(frozen=True)
class Outcome:
    """One mocked invocation: a result (``error is None``) or an error and cause."""

    result: Any = None
    error: str | None = None
    cause: str = ""


@dataclass(frozen=True)
class MockedResponse:
    name: str
    answers: tuple[tuple[int, int, Outcome], ...]  # (first, last invocation, outcome)

    def outcome(self, invocation: int) -> Outcome | None:
        return next((o for first, last, o in self.answers if first <= invocation <= last), None)


class TaskMocks:
    """The mocked Task states of one test case, and how often each has been invoked."""

    def __init__(self, responses: dict[str, MockedResponse], case: str = "") -> None:
        self.responses = responses
        self.case = case
        self._counts: dict[tuple[str, str], int] = {}
        self._lock = threading.Lock()

    def covers(self, state: str) -> bool:
        return state in self.responses

    def next_outcome(self, execution: str, state: str) -> Outcome:
        """The answer to this state's next invocation in ``execution``."""
        with self._lock:
            invocation = self._counts.get((execution, state), 0)
            self._counts[(execution, state)] = invocation + 1
        response = self.responses[state]
        found = response.outcome(invocation)
        if found is None:
            return Outcome(
                error="States.Runtime",
                cause=f"mocked response {response.name!r} has no answer for invocation {invocation} of {state!r}",
            )
        return found


def load(path: str | Path, machine: str, case: str) -> TaskMocks:
    """The test case ``case`` of state machine ``machine`` in the mock file at ``path``."""
    source = str(path)
    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise MockConfigError(source, f"cannot read: {exc.strerror}") from None
    except json.JSONDecodeError as exc:
        raise MockConfigError(f"{source}:{exc.lineno}", f"not JSON: {exc.msg}") from None
    return parse(raw, machine, case, source)


def parse(raw: Any, machine: str, case: str, source: str = "mock config") -> TaskMocks:
    if not isinstance(raw, dict):
        raise MockConfigError(source, "must be a JSON object with StateMachines and MockedResponses")
    unknown = set(raw) - {"StateMachines", "MockedResponses"}
    if unknown:
        raise MockConfigError(source, f"unknown top-level field(s): {', '.join(sorted(unknown))}")
    machines = raw.get("StateMachines")
    if not isinstance(machines, dict) or machine not in machines:
        known = ", ".join(sorted(machines)) if isinstance(machines, dict) else "none"
        raise MockConfigError(source, f"StateMachines has no {machine!r} (known: {known}); use --name")
    cases = machines[machine].get("TestCases") if isinstance(machines[machine], dict) else None
    if not isinstance(cases, dict) or case not in cases:
        known = ", ".join(sorted(cases)) if isinstance(cases, dict) else "none"
        raise MockConfigError(source, f"StateMachines.{machine}.TestCases has no {case!r} (known: {known})")
    mapping = cases[case]
    where = f"StateMachines.{machine}.TestCases.{case}"
    if not isinstance(mapping, dict) or not all(isinstance(v, str) for v in mapping.values()):
        raise MockConfigError(source, f"{where} must map state names to mocked response names")
    library = raw.get("MockedResponses")
    if not isinstance(library, dict):
        raise MockConfigError(source, "MockedResponses must be an object")
    responses: dict[str, MockedResponse] = {}
    for state, name in mapping.items():
        if name not in library:
            raise MockConfigError(source, f"{where}.{state} names {name!r}, which MockedResponses lacks")
        responses[state] = _response(name, library[name], source)
    return TaskMocks(responses, case)


def _response(name: str, body: Any, source: str) -> MockedResponse:
    where = f"MockedResponses.{name}"
    if not isinstance(body, dict) or not body:
        raise MockConfigError(source, f"{where} must map invocation numbers to Return or Throw")
    answers: list[tuple[int, int, Outcome]] = []
    for key, answer in body.items():
        match = _RANGE.fullmatch(key)
        if match is None:
            raise MockConfigError(source, f"{where}.{key}: a key is an invocation number or a range like 1-2")
        first = int(match.group(1))
        last = int(match.group(2)) if match.group(2) is not None else first
        if last < first:
            raise MockConfigError(source, f"{where}.{key}: the range ends before it starts")
        answers.append((first, last, _outcome(f"{where}.{key}", answer, source)))
    answers.sort(key=lambda a: a[0])
    for (_, last, _), (first, _, _) in itertools.pairwise(answers):
        if first <= last:
            raise MockConfigError(source, f"{where}: invocation {first} is answered twice")
    return MockedResponse(name, tuple(answers))


def _outcome(where: str, answer: Any, source: str) -> Outcome:
    if not isinstance(answer, dict) or len(answer) != 1 or next(iter(answer)) not in ("Return", "Throw"):
        raise MockConfigError(source, f'{where} must be {{"Return": ...}} or {{"Throw": {{"Error", "Cause"}}}}')
    if "Return" in answer:
        return Outcome(result=answer["Return"])
    thrown = answer["Throw"]
    if not isinstance(thrown, dict) or not isinstance(thrown.get("Error"), str):
        raise MockConfigError(source, f"{where}.Throw needs an Error string (and optionally a Cause)")
    return Outcome(error=thrown["Error"], cause=str(thrown.get("Cause", "")))
