"""Start executions and resolve task tokens, on Step Functions or on the embedded engine."""

import importlib as _importlib
from typing import TYPE_CHECKING
from typing import Any as _Any

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


def __getattr__(name: str) -> _Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(_importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


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
