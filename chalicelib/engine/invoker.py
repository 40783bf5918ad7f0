"""How the engine calls Lambda tasks: an injected invoker, and the Lambda-service envelope."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Protocol


class TaskInvoker(Protocol):
    def invoke(
        self, function_name: str, payload: dict[str, Any], *, task_token: str | None, idempotency_key: str
    ) -> Any:
        """Run the Lambda function ``function_name`` in-process and return its return value.

        Raise to fail the task: the exception class name is the Step Functions error name.
        """
        ...


class FunctionInvoker:
    """Adapts a ``dispatch(short_function_name, payload) -> result`` callable (the same stubs
    the moto harness dispatches to) to :class:`TaskInvoker`."""

    def __init__(self, dispatch: Callable[[str, dict[str, Any]], Any]) -> None:
        self.dispatch = dispatch

    def invoke(
        self, function_name: str, payload: dict[str, Any], *, task_token: str | None, idempotency_key: str
    ) -> Any:
        return self.dispatch(short_name(function_name), payload)


def short_name(function_name: str) -> str:
    """``arn:aws:lambda:...:function:name[:qualifier]`` -> ``name``; a plain name unchanged."""
    if function_name.startswith("arn:"):
        parts = function_name.split(":")
        return parts[6] if len(parts) > 6 else parts[-1]
    return function_name


def lambda_envelope(value: Any) -> dict[str, Any]:
    """What ``lambda:invoke`` gives the state as its result.

    Moto 5.2.5's interpreter returns exactly ``{"StatusCode", "Payload"}`` (the AWS service
    also adds ``ExecutedVersion`` and ``Sdk*Metadata``); we mirror moto so the differential
    tests compare whole outputs. Compiled flows read ``$.Payload`` only, which both carry.
    """
    return {"StatusCode": 200, "Payload": _json_roundtrip(value)}


def error_of(exc: BaseException) -> tuple[str, str]:
    """(error, cause) as a Python Lambda reports an unhandled exception to Step Functions."""
    name = type(exc).__name__
    return name, json.dumps({"errorMessage": str(exc), "errorType": name}, separators=(",", ":"))


def _json_roundtrip(value: Any) -> Any:
    # A Lambda's return value crosses the wire as JSON; pydantic models and tuples must too.
    if hasattr(value, "model_dump"):
        value = value.model_dump(mode="json")
    return json.loads(json.dumps(value, default=str))
