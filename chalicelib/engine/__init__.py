"""Embedded Amazon States Language engine, durable in SQLite.

Runs the same compiled definition Step Functions runs, calling node handlers in-process
through a :class:`TaskInvoker`.
"""

from .clock import Clock, FakeClock, SystemClock
from .definition import validate
from .engine import Engine, execution_arn, state_machine_arn
from .errors import (
    DefinitionError,
    ExecutionAlreadyExists,
    ExecutionDoesNotExist,
    InvalidOutput,
    InvalidToken,
    StateMachineDoesNotExist,
    StatesError,
    TaskDoesNotExist,
    TaskTimedOut,
)
from .invoker import FunctionInvoker, TaskInvoker, error_of, lambda_envelope
from .models import ExecutionDescription, ProgressEvent

__all__ = [
    "Clock",
    "DefinitionError",
    "Engine",
    "ExecutionAlreadyExists",
    "ExecutionDescription",
    "ExecutionDoesNotExist",
    "FakeClock",
    "FunctionInvoker",
    "InvalidOutput",
    "InvalidToken",
    "ProgressEvent",
    "StateMachineDoesNotExist",
    "StatesError",
    "SystemClock",
    "TaskDoesNotExist",
    "TaskInvoker",
    "TaskTimedOut",
    "error_of",
    "execution_arn",
    "lambda_envelope",
    "state_machine_arn",
    "validate",
]
