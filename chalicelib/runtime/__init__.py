"""Start executions and resolve task tokens, on Step Functions or on the embedded engine."""

from chalicelib.engine.errors import (
    ExecutionAlreadyExists,
    ExecutionDoesNotExist,
    InvalidOutput,
    InvalidToken,
    StateMachineDoesNotExist,
    TaskDoesNotExist,
    TaskTimedOut,
)
from chalicelib.engine.models import ExecutionDescription

from .base import Runtime
from .factory import make_runtime
from .local import LocalRuntime
from .stepfunctions import StepFunctionsRuntime

__all__ = [
    "ExecutionAlreadyExists",
    "ExecutionDescription",
    "ExecutionDoesNotExist",
    "InvalidOutput",
    "InvalidToken",
    "LocalRuntime",
    "Runtime",
    "StateMachineDoesNotExist",
    "StepFunctionsRuntime",
    "TaskDoesNotExist",
    "TaskTimedOut",
    "make_runtime",
]
