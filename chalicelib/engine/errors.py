"""Errors the engine raises to its callers, and the in-flight ``StatesError`` of a run.

Caller-facing classes mirror Step Functions' API errors (ExecutionAlreadyExists,
TaskDoesNotExist, TaskTimedOut, InvalidToken...) so both runtime backends raise the same ones.
"""

from __future__ import annotations

from typing import Any

from chalicelib.errors import AlreadyExists, ExecutionError, NotFound, SpecError, TaskTimedOut

__all__ = [
    "DefinitionError",
    "ExecutionAlreadyExists",
    "ExecutionDoesNotExist",
    "InvalidOutput",
    "InvalidToken",
    "StateMachineDoesNotExist",
    "StatesError",
    "TaskDoesNotExist",
    "TaskTimedOut",
]


class ExecutionAlreadyExists(AlreadyExists):
    """An execution with this name already exists for this state machine."""


class ExecutionDoesNotExist(NotFound):
    pass


class StateMachineDoesNotExist(NotFound):
    pass


class TaskDoesNotExist(NotFound):
    """No task is waiting on this token (unknown token)."""


class InvalidToken(ExecutionError):
    status_code = 400


class InvalidOutput(ExecutionError):
    status_code = 400


class DefinitionError(SpecError):
    """The definition uses something this engine does not run; names the state and field."""

    def __init__(self, problems: list[tuple[str | None, str | None, str]]) -> None:
        lines = [_line(state, field, msg) for state, field, msg in problems]
        super().__init__("unsupported or invalid state machine definition: " + "; ".join(lines), lines)
        self.findings = problems


def _line(state: str | None, field: str | None, message: str) -> str:
    where = []
    if state is not None:
        where.append(f"state {state!r}")
    if field is not None:
        where.append(f"field {field!r}")
    return (", ".join(where) + ": " if where else "") + message


class StatesError(Exception):
    """An error inside a run (``States.Runtime``, a task's error...), caught by Retry/Catch."""

    def __init__(self, error: str, cause: str = "", **details: Any) -> None:
        super().__init__(f"{error}: {cause}")
        self.error = error
        self.cause = cause
        self.details = details
