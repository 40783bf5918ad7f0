"""Embedded Amazon States Language engine, durable in SQLite.

Runs the same compiled definition Step Functions runs, calling node handlers in-process
through a :class:`TaskInvoker`.
"""

from typing import TYPE_CHECKING

from chalicelib.lazy import lazy_exports

if TYPE_CHECKING:
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
    from .tokens import TokenClient

# Exports resolve on first use: the webhook route imports only what it needs (cold start).
_EXPORTS = {
    "Clock": ".clock",
    "FakeClock": ".clock",
    "SystemClock": ".clock",
    "validate": ".definition",
    "Engine": ".engine",
    "execution_arn": ".engine",
    "state_machine_arn": ".engine",
    "DefinitionError": ".errors",
    "ExecutionAlreadyExists": ".errors",
    "ExecutionDoesNotExist": ".errors",
    "InvalidOutput": ".errors",
    "InvalidToken": ".errors",
    "StateMachineDoesNotExist": ".errors",
    "StatesError": ".errors",
    "TaskDoesNotExist": ".errors",
    "TaskTimedOut": ".errors",
    "FunctionInvoker": ".invoker",
    "TaskInvoker": ".invoker",
    "error_of": ".invoker",
    "lambda_envelope": ".invoker",
    "ExecutionDescription": ".models",
    "ProgressEvent": ".models",
    "TokenClient": ".tokens",
}


__getattr__ = lazy_exports(__name__, _EXPORTS)


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
    "TokenClient",
    "error_of",
    "execution_arn",
    "lambda_envelope",
    "state_machine_arn",
    "validate",
]
