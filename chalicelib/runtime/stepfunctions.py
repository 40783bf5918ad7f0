"""Runtime backed by AWS Step Functions: the one module that calls the ``stepfunctions`` client."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from chalicelib.engine.errors import (
    ExecutionAlreadyExists,
    ExecutionDoesNotExist,
    InvalidOutput,
    InvalidToken,
    StateMachineDoesNotExist,
    TaskDoesNotExist,
    TaskTimedOut,
)
from chalicelib.errors import AofError, ConfigurationError, ServiceError, ServiceUnavailable

if TYPE_CHECKING:  # built only by describe(), which the webhook Lambda never calls
    from chalicelib.engine.models import ExecutionDescription

# The engine's models (6 to 7 ms) are imported when an execution is described, not on the
# webhook route, which only starts one.

_ERRORS: dict[str, Callable[[str], AofError]] = {
    "ExecutionAlreadyExists": lambda m: ExecutionAlreadyExists(m),
    "ExecutionDoesNotExist": lambda m: ExecutionDoesNotExist(m),
    "StateMachineDoesNotExist": lambda m: StateMachineDoesNotExist(m),
    "TaskDoesNotExist": lambda m: TaskDoesNotExist(m),
    "TaskTimedOut": lambda m: TaskTimedOut(m),
    "InvalidToken": lambda m: InvalidToken(m),
    "InvalidOutput": lambda m: InvalidOutput(m),
    "ThrottlingException": lambda m: ServiceUnavailable(m),
    "ServiceUnavailable": lambda m: ServiceUnavailable(m),
    "InternalServerError": lambda m: ServiceUnavailable(m),
}


@contextmanager
def _mapped() -> Iterator[None]:
    try:
        yield
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        message = exc.response.get("Error", {}).get("Message", "") or code
        factory = _ERRORS.get(code)
        raise (factory(message) if factory else ServiceError(f"Step Functions {code}: {message}")) from exc


class StepFunctionsRuntime:
    def __init__(self, client: Any, state_machine_arns: Mapping[str, str]) -> None:
        self.client = client
        self.state_machine_arns = dict(state_machine_arns)
        self._flows = {arn: flow for flow, arn in self.state_machine_arns.items()}

    def _arn(self, flow: str) -> str:
        if flow.startswith("arn:"):
            return flow
        try:
            return self.state_machine_arns[flow]
        except KeyError:
            raise StateMachineDoesNotExist(f"no state machine configured for flow {flow!r}") from None

    def start_execution(self, flow: str, input: Any, name: str | None = None) -> str:
        kwargs: dict[str, Any] = {"stateMachineArn": self._arn(flow), "input": json.dumps(input or {})}
        if name:
            kwargs["name"] = name
        with _mapped():
            return str(self.client.start_execution(**kwargs)["executionArn"])

    def send_task_success(self, token: str, output: Any) -> None:
        # Text is taken as the JSON document itself (what SendTaskSuccess takes, and what the
        # embedded engine accepts); any other value is encoded.
        text = output if isinstance(output, str) else json.dumps(output)
        with _mapped():
            self.client.send_task_success(taskToken=token, output=text)

    def send_task_failure(self, token: str, error: str, cause: str = "") -> None:
        with _mapped():
            self.client.send_task_failure(taskToken=token, error=error, cause=cause)

    def describe(self, execution_id: str) -> ExecutionDescription:
        with _mapped():
            return self._description(self.client.describe_execution(executionArn=execution_id))

    def history(self, execution_id: str) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {"executionArn": execution_id, "maxResults": 1000}
        with _mapped():
            while True:
                page = self.client.get_execution_history(**kwargs)
                for event in page["events"]:
                    item = dict(event)
                    if isinstance(item.get("timestamp"), datetime):
                        item["timestamp"] = item["timestamp"].isoformat()
                    events.append(item)
                if not page.get("nextToken"):
                    return events
                kwargs["nextToken"] = page["nextToken"]

    def stop_execution(self, execution_id: str, error: str | None = None, cause: str | None = None) -> None:
        kwargs: dict[str, Any] = {"executionArn": execution_id}
        if error is not None:
            kwargs["error"] = error
        if cause is not None:
            kwargs["cause"] = cause
        with _mapped():
            self.client.stop_execution(**kwargs)

    def list_executions(self, flow: str | None = None, status: str | None = None) -> list[ExecutionDescription]:
        flows = [flow] if flow is not None else list(self.state_machine_arns)
        out: list[ExecutionDescription] = []
        with _mapped():
            for name in flows:
                kwargs: dict[str, Any] = {"stateMachineArn": self._arn(name)}
                if status is not None:
                    kwargs["statusFilter"] = status
                for page in self.client.get_paginator("list_executions").paginate(**kwargs):
                    for item in page["executions"]:
                        out.append(self.describe(item["executionArn"]))
        return out

    def _description(self, d: Mapping[str, Any]) -> ExecutionDescription:
        from chalicelib.engine.models import ExecutionDescription

        sm_arn = str(d.get("stateMachineArn", ""))
        return ExecutionDescription(
            execution_id=d["executionArn"],
            name=d["name"],
            state_machine=self._flows.get(sm_arn, sm_arn.rsplit(":", 1)[-1]),
            status=d["status"],
            input=json.loads(d["input"]) if d.get("input") else None,
            output=json.loads(d["output"]) if d.get("output") else None,
            start_date=d["startDate"],
            stop_date=d.get("stopDate"),
            error=d.get("error"),
            cause=d.get("cause"),
        )


def require_arns(state_machine_arns: Mapping[str, str] | None) -> Mapping[str, str]:
    if not state_machine_arns:
        raise ConfigurationError("the aws backend needs the state machine ARN of every flow")
    return state_machine_arns
