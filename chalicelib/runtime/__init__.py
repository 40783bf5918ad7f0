"""Start executions and resolve task tokens, on Step Functions or on the embedded engine."""

from typing import TYPE_CHECKING

from chalicelib.lazy import lazy_exports

if TYPE_CHECKING:
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

# Exports resolve on first use: the webhook route imports only what it needs (cold start).
_EXPORTS = {
    "ExecutionAlreadyExists": "chalicelib.engine.errors",
    "ExecutionDoesNotExist": "chalicelib.engine.errors",
    "InvalidOutput": "chalicelib.engine.errors",
    "InvalidToken": "chalicelib.engine.errors",
    "StateMachineDoesNotExist": "chalicelib.engine.errors",
    "TaskDoesNotExist": "chalicelib.engine.errors",
    "TaskTimedOut": "chalicelib.engine.errors",
    "ExecutionDescription": "chalicelib.engine.models",
    "Runtime": ".base",
    "make_runtime": ".factory",
    "LocalRuntime": ".local",
    "StepFunctionsRuntime": ".stepfunctions",
}


__getattr__ = lazy_exports(__name__, _EXPORTS)


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
