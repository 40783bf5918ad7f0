"""One raw ASL definition, run to its end on a throw-away embedded engine with mocked tasks.

What ``aofctl states run`` and the conformance corpus use. Every Task state must be answered
by the mock test case: nothing outside is called. Wait states and retry back-off are slept
through on a simulated clock that starts at the real time, so a run of hours takes
milliseconds and ``$$.Execution.StartTime`` still looks like now.
"""

from __future__ import annotations

import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .clock import FakeClock
from .definition import validate
from .engine import Engine
from .errors import DefinitionError
from .mocks import TaskMocks


@dataclass
class RunResult:
    status: str
    output: Any = None
    error: str | None = None
    cause: str | None = None
    states: list[str] = field(default_factory=list)  # states entered, in order
    history: list[dict[str, Any]] = field(default_factory=list)

    def summary(self, *, with_history: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {"status": self.status, "output": self.output, "error": self.error, "cause": self.cause}
        if with_history:
            out["history"] = self.states
        return out


class _NothingToCall:
    """Unmocked Tasks are refused before the run starts, so this is never reached."""

    def invoke(self, function_name: str, payload: Any, *, task_token: str | None, idempotency_key: str) -> Any:
        raise RuntimeError(f"no mocked response for a call to {function_name!r}")


def task_states(definition: dict[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    """(name, where) of every Task state, Parallel branches and Map processors included."""
    found: list[tuple[str, str]] = []
    for name, state in definition.get("States", {}).items():
        if not isinstance(state, dict):
            continue
        where = f"{prefix}{name}"
        if state.get("Type") == "Task":
            found.append((name, where))
        for i, branch in enumerate(state.get("Branches", []) or []):
            if isinstance(branch, dict):
                found.extend(task_states(branch, f"{where}.Branches[{i}]."))
        for key in ("ItemProcessor", "Iterator"):
            if isinstance(state.get(key), dict):
                found.extend(task_states(state[key], f"{where}.{key}."))
    return found


def run_definition(
    definition: dict[str, Any],
    data: Any = None,
    *,
    machine: str = "StateMachine",
    mocks: TaskMocks | None = None,
    execution_name: str | None = None,
    timeout: float = 60.0,
) -> RunResult:
    """Validate ``definition`` (DefinitionError naming state and field), run it, report the end."""
    mocks = mocks or TaskMocks({})
    validate(definition, any_resource=True)  # what Step Functions refuses, before what is unmocked
    unmocked = [
        (where, "Resource", f"no mocked response for this Task in test case {mocks.case or '(none)'!r}")
        for name, where in task_states(definition)
        if not mocks.covers(name)
    ]
    if unmocked:
        raise DefinitionError(list(unmocked))
    with tempfile.TemporaryDirectory(prefix="aof-states-") as tmp:
        engine = Engine(Path(tmp) / "run.db", _NothingToCall(), clock=FakeClock(time.time()), mocks=mocks)
        try:
            engine.register_state_machine(machine, definition)
            arn = engine.start_execution(machine, execution_name or str(uuid.uuid4()), {} if data is None else data)
            engine.run_until_idle(timeout=timeout)
            desc = engine.describe(arn)
            return RunResult(
                status=desc.status,
                output=desc.output,
                error=desc.error,
                cause=desc.cause,
                states=engine.state_sequence(arn),
                history=engine.history(arn),
            )
        finally:
            engine.close()
