"""Moto Step Functions, executing definitions for real, with Lambda calls dispatched in-process.

Moto 5.2.5 runs a state machine when started with ``execute_state_machine``; its Lambda calls
then reach the ``awslambda_simple`` backend, whose ``invoke`` we replace for the duration of
the harness so each invocation calls ``dispatch(function_name, payload)``. An exception raised
by ``dispatch`` is reported the way the Lambda service reports an unhandled Python error
(``X-Amz-Function-Error: Unhandled`` and ``{"errorMessage", "errorType"}``), which moto's
interpreter turns into a ``TaskFailed`` whose error is the exception class name. A moto
``JsonRESTError`` raised by ``dispatch`` is instead the Lambda service refusing the Invoke call
(throttled, a fault on its side): moto's interpreter names it ``Lambda.<error code>``.

Moto runs each execution on a daemon thread (``Program.eval``), so ``start`` returns at once;
``wait_for`` polls DescribeExecution until a terminal status (or your predicate). Moto honours
real seconds (Wait, IntervalSeconds, TimeoutSeconds): keep them at 0-1 s in tests. Known moto
5.2.5 gaps: SendTaskFailure drops ``cause``; StopExecution is not reflected while a
``.waitForTaskToken`` task waits; lambda:invoke results carry only StatusCode and Payload.

Use::

    with MotoSfn(dispatch) as sfn:
        arn = sfn.create_state_machine(definition)
        execution_arn = sfn.start(arn, {"x": 1})
        sfn.wait_for(execution_arn)
"""

from __future__ import annotations

import io
import json
import threading
import time
import uuid
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import boto3
from moto import mock_aws
from moto.awslambda_simple.models import lambda_simple_backends
from moto.core.exceptions import JsonRESTError

ACCOUNT_ID = "123456789012"
REGION = "us-east-1"
TERMINAL = frozenset({"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"})

Dispatch = Callable[[str, dict[str, Any]], Any]

_ROLE_POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
)


def _zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("handler.py", "def handle(event, context):\n    return event\n")
    return buf.getvalue()


def function_names(definition: dict[str, Any]) -> set[str]:
    """Every Lambda ``FunctionName`` (short name) a definition calls, Parallel branches included."""
    found: set[str] = set()

    def walk(states: dict[str, Any]) -> None:
        for state in states.values():
            params = state.get("Parameters") or {}
            name = params.get("FunctionName") if isinstance(params, dict) else None
            if isinstance(name, str):
                found.add(name.rsplit(":", 1)[-1] if name.startswith("arn:") else name)
            for branch in state.get("Branches", []):
                walk(branch["States"])

    walk(definition["States"])
    return found


class MotoSfn:
    """A moto Step Functions account that executes definitions; Lambda goes to ``dispatch``."""

    def __init__(self, dispatch: Dispatch, *, region: str = REGION) -> None:
        self.dispatch = dispatch
        self.region = region
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self._lock = threading.Lock()
        self._mock = mock_aws(
            config={"stepfunctions": {"execute_state_machine": True}, "lambda": {"use_docker": False}}
        )
        self._created_functions: set[str] = set()
        self._original_invoke: Any = None
        self._backend: Any = None

    # --- lifecycle ----------------------------------------------------------------------
    def __enter__(self) -> MotoSfn:
        self._mock.start()
        kw: dict[str, Any] = {
            "region_name": self.region,
            "aws_access_key_id": "testing",
            "aws_secret_access_key": "testing",
        }
        self.client = boto3.client("stepfunctions", **kw)
        self.lambda_client = boto3.client("lambda", **kw)
        self.iam = boto3.client("iam", **kw)
        self.role_arn = self.iam.create_role(RoleName="aof-test-role", AssumeRolePolicyDocument=_ROLE_POLICY)["Role"][
            "Arn"
        ]
        self._backend = lambda_simple_backends[ACCOUNT_ID][self.region]
        self._original_invoke = self._backend.invoke
        # Instance attribute shadows the class method for this backend only.
        self._backend.invoke = self._invoke
        return self

    def __exit__(self, *exc: object) -> None:
        if self._backend is not None:
            try:
                del self._backend.invoke
            except AttributeError:
                pass
        self._mock.stop()

    def authenticate(self, credentials: dict[str, str]) -> None:
        """Make the harness's own clients sign as ``credentials`` (for moto's IAM enforcement)."""
        kw: dict[str, Any] = {"region_name": self.region, **credentials}
        self.client = boto3.client("stepfunctions", **kw)
        self.lambda_client = boto3.client("lambda", **kw)
        self.iam = boto3.client("iam", **kw)

    # --- the far side of Lambda ---------------------------------------------------------
    def _invoke(
        self, function_name: str, qualifier: str | None, body: Any, headers: Any, response_headers: Any
    ) -> bytes:
        name = function_name.rsplit(":", 1)[-1] if function_name.startswith("arn:") else function_name
        raw = body.decode() if isinstance(body, bytes) else (body or "{}")
        payload = json.loads(raw) if raw else {}
        with self._lock:
            self.calls.append((name, payload))
        try:
            result = self.dispatch(name, payload)
        except JsonRESTError:
            raise  # the Lambda service's own refusal (429, 5xx): Step Functions names it Lambda.<code>
        except Exception as exc:  # the Lambda runtime reports any unhandled error this way
            response_headers["x-amz-function-error"] = "Unhandled"
            return json.dumps({"errorMessage": str(exc), "errorType": type(exc).__name__}).encode()
        return json.dumps(result).encode()

    # --- helpers ------------------------------------------------------------------------
    def ensure_functions(self, names: set[str]) -> None:
        for name in sorted(names - self._created_functions):
            self.lambda_client.create_function(
                FunctionName=name,
                Runtime="python3.11",
                Role=self.role_arn,
                Handler="handler.handle",
                Code={"ZipFile": _zip()},
            )
            self._created_functions.add(name)

    def create_state_machine(self, definition: dict[str, Any], name: str | None = None) -> str:
        """Create the machine (and a dummy Lambda per ``FunctionName``); return its ARN."""
        self.ensure_functions(function_names(definition))
        return str(
            self.client.create_state_machine(
                name=name or f"sm-{uuid.uuid4().hex[:8]}",
                definition=json.dumps(definition),
                roleArn=self.role_arn,
            )["stateMachineArn"]
        )

    def start(self, state_machine_arn: str, input: Any = None, name: str | None = None) -> str:
        kwargs: dict[str, Any] = {"stateMachineArn": state_machine_arn, "input": json.dumps(input or {})}
        if name:
            kwargs["name"] = name
        return str(self.client.start_execution(**kwargs)["executionArn"])

    def describe(self, execution_arn: str) -> dict[str, Any]:
        return dict(self.client.describe_execution(executionArn=execution_arn))

    def wait_for(
        self,
        execution_arn: str,
        predicate: Callable[[dict[str, Any]], bool] | str | None = None,
        timeout: float = 20.0,
    ) -> dict[str, Any]:
        """Poll until ``predicate(description)`` holds (default: a terminal status)."""
        if predicate is None:

            def check(d: dict[str, Any]) -> bool:
                return d["status"] in TERMINAL
        elif isinstance(predicate, str):
            wanted = predicate

            def check(d: dict[str, Any]) -> bool:
                return d["status"] == wanted
        else:
            check = predicate
        deadline = time.monotonic() + timeout
        while True:
            desc = self.describe(execution_arn)
            if check(desc):
                return desc
            if time.monotonic() > deadline:
                raise TimeoutError(f"{execution_arn} still {desc['status']} after {timeout}s")
            time.sleep(0.02)

    def history(self, execution_arn: str) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {"executionArn": execution_arn, "maxResults": 1000}
        while True:
            page = self.client.get_execution_history(**kwargs)
            events.extend(page["events"])
            if not page.get("nextToken"):
                return events
            kwargs["nextToken"] = page["nextToken"]

    def event_types(self, execution_arn: str) -> list[str]:
        return [e["type"] for e in self.history(execution_arn)]

    def state_sequence(self, execution_arn: str) -> list[str]:
        """Names of the states entered, in order (from the ``...StateEntered`` events)."""
        return [
            e["stateEnteredEventDetails"]["name"]
            for e in self.history(execution_arn)
            if e["type"].endswith("StateEntered")
        ]

    def wait_for_token(self, function_name: str | None = None, timeout: float = 10.0) -> str:
        """The ``task_token`` of the newest dispatched payload carrying one (waits for it)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                for name, payload in reversed(self.calls):
                    token = _find_token(payload)
                    if token and (function_name is None or name == function_name):
                        return token
            time.sleep(0.02)
        raise TimeoutError("no task token was dispatched")

    def send_task_success(self, token: str, output: Any) -> None:
        self.client.send_task_success(taskToken=token, output=json.dumps(output))

    def send_task_failure(self, token: str, error: str, cause: str = "") -> None:
        self.client.send_task_failure(taskToken=token, error=error, cause=cause)


def _find_token(payload: Any) -> str | None:
    if isinstance(payload, dict):
        for key in ("task_token", "TaskToken", "taskToken"):
            if isinstance(payload.get(key), str):
                return str(payload[key])
    return None


@contextmanager
def moto_sfn(dispatch: Dispatch, *, region: str = REGION) -> Iterator[MotoSfn]:
    """Context manager form of :class:`MotoSfn`."""
    with MotoSfn(dispatch, region=region) as sfn:
        yield sfn
