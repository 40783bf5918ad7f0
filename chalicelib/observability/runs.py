"""Which run a line belongs to, read from what a node or a state already carries.

The node Lambdas and the embedded engine enter a node through one function
(``nodes.dispatch.run_task``); :func:`logged_task` wraps it so every line a handler logs
names its run, and the node's start and end are one line each. The engine's interpreter
reads the same fields from the execution context (:func:`state_fields`).
"""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from .lines import bind
from .logging import logger

Deps = TypeVar("Deps")
Task = Callable[[str, dict[str, Any], Deps], dict[str, Any]]


def _dict(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def incident_of(data: Any) -> str:
    """The PagerDuty incident id in an execution's input or state (``$.event.incident.id``)."""
    return str(_dict(_dict(_dict(data).get("event")).get("incident")).get("id") or "")


def task_fields(function: str, payload: Mapping[str, Any]) -> dict[str, Any]:
    """Run fields from a node task's payload (the compiler's ``context``, ``flow``, ``node``)."""
    context = _dict(payload.get("context"))
    run_id = str(context.get("execution_name") or str(context.get("execution_id") or "").rsplit(":", 1)[-1])
    node = _dict(payload.get("node")).get("id") or payload.get("node_id") or context.get("state_name") or ""
    try:
        attempt = int(context.get("retry_count") or 0) + 1
    except (TypeError, ValueError):
        attempt = 1
    return {
        "run_id": run_id,
        "incident_id": incident_of(payload.get("state")),
        "flow": str(_dict(payload.get("flow")).get("name") or ""),
        "node": str(node),
        "attempt": attempt,
        "function": function.rsplit(":", 1)[-1],
    }


def logged_task(run: Task[Deps]) -> Task[Deps]:
    """Bind the task's run fields around ``run``, and log the node's start and its end."""

    @functools.wraps(run)
    def wrapper(function: str, payload: dict[str, Any], deps: Deps) -> dict[str, Any]:
        fields = task_fields(function, payload)
        function_name = fields.pop("function")
        with bind(**fields):
            logger.info("node started", extra={"function": function_name})
            started = time.monotonic()
            try:
                result = run(function, payload, deps)
            except Exception as error:
                logger.warning(
                    "node failed",
                    extra={
                        "error_type": type(error).__name__,
                        "error": str(error)[:500],
                        "duration_ms": round((time.monotonic() - started) * 1000),
                    },
                )
                raise
            logger.info(
                "node finished",
                extra={
                    "status": str(_dict(result).get("status") or ""),
                    "duration_ms": round((time.monotonic() - started) * 1000),
                },
            )
            return result

    return wrapper


def state_fields(context: Mapping[str, Any], state: str, retry_count: int = 0) -> dict[str, Any]:
    """Run fields for a line about ``state`` of an execution whose context is ``context``
    (``$$``: ``Execution.Name`` is the run id, ``StateMachine.Name`` the flow)."""
    execution = _dict(context.get("Execution"))
    return {
        "run_id": str(execution.get("Name") or ""),
        "incident_id": incident_of(execution.get("Input")),
        "flow": str(_dict(context.get("StateMachine")).get("Name") or ""),
        "node": state,
        "attempt": int(retry_count or 0) + 1,
    }


def log_state(message: str, context: Mapping[str, Any], state: str, retry_count: int = 0, **details: Any) -> None:
    """One line about a state change of the embedded engine (``error`` lines at WARNING)."""
    fields = {**state_fields(context, state, retry_count), **details}
    if "error" in details:
        logger.warning(message, extra=fields)
    else:
        logger.info(message, extra=fields)


def execution_fields(detail: Mapping[str, Any]) -> dict[str, Any]:
    """Run fields from a Step Functions "Execution Status Change" event's ``detail``: the
    execution name is the run id; the input the execution started with holds the incident and
    the flow's name (``$.flow.name``; the state machine's name when the input has none)."""
    name = str(detail.get("name") or str(detail.get("executionArn") or "").rsplit(":", 1)[-1])
    machine = str(detail.get("stateMachineArn") or "").rsplit(":", 1)[-1]
    raw = detail.get("input")
    try:
        data = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError:
        data = None
    flow = str(_dict(_dict(data).get("flow")).get("name") or machine)
    return {"run_id": name, "incident_id": incident_of(data), "flow": flow, "node": "", "attempt": 0}
