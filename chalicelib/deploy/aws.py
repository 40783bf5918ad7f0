"""The one module through which ``aofctl apply`` talks to AWS (boto3 clients passed in).

Every call turns ``ClientError`` codes into the product's errors: "not there" becomes None
for the observer, throttling becomes :class:`ServiceUnavailable`, the rest
:class:`ServiceError` with the service and code named.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar
from urllib.parse import unquote

from botocore.exceptions import BotoCoreError, ClientError

from ..errors import ConfigurationError, ServiceError, ServiceUnavailable
from ..store import TableDefinition, ensure_tables
from .desired import ASYNC_RETRIES, FAILURE_RETENTION_SECONDS, LOG_RETENTION_DAYS
from .model import ObservedRole, ObservedStateMachine, ObservedTable

T = TypeVar("T")

_MISSING = frozenset(
    {
        "ResourceNotFoundException",
        "NoSuchEntity",
        "StateMachineDoesNotExist",
        "ParameterNotFound",
        "AWS.SimpleQueueService.NonExistentQueue",
        "QueueDoesNotExist",
    }
)
_THROTTLED = frozenset({"ThrottlingException", "Throttling", "TooManyUpdates", "ServiceUnavailable"})
_DENIED = frozenset({"AccessDenied", "AccessDeniedException", "UnrecognizedClientException"})


class _Missing(Exception):
    pass


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


@contextmanager
def _mapped(service: str) -> Iterator[None]:
    try:
        yield
    except ClientError as error:
        code = _code(error)
        message = error.response.get("Error", {}).get("Message", "") or code
        if code in _MISSING:
            raise _Missing(code) from error
        if code in _THROTTLED:
            raise ServiceUnavailable(f"{service} {code}: {message}") from error
        if code in _DENIED:
            raise ConfigurationError(f"{service} refused ({code}): {message}; check your AWS credentials") from error
        raise ServiceError(f"{service} {code}: {message}") from error
    except BotoCoreError as error:
        raise ServiceUnavailable(f"{service}: {error}") from error


def _document(value: Any) -> dict[str, Any]:
    """IAM returns policy documents decoded (boto3) or as URL-encoded JSON text."""
    if isinstance(value, str):
        loaded: dict[str, Any] = json.loads(unquote(value))
        return loaded
    return dict(value)


class AwsDeployClient:
    def __init__(
        self,
        *,
        dynamodb: Any,
        iam: Any,
        stepfunctions: Any,
        ssm: Any,
        logs: Any,
        sqs: Any,
        lambda_: Any,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.dynamodb = dynamodb
        self.iam = iam
        self.sfn = stepfunctions
        self.ssm = ssm
        self.logs = logs
        self.sqs = sqs
        self.lambda_ = lambda_
        self.sleep = sleep

    # -- DynamoDB --------------------------------------------------------------------------

    def table(self, name: str) -> ObservedTable:
        try:
            with _mapped("DynamoDB"):
                self.dynamodb.describe_table(TableName=name)
                ttl = self.dynamodb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
        except _Missing:
            return ObservedTable(exists=False)
        return ObservedTable(exists=True, ttl_enabled=ttl.get("TimeToLiveStatus") in ("ENABLED", "ENABLING"))

    def ensure_tables(self, prefix: str, tables: list[TableDefinition]) -> None:
        # The store owns its table design; creating and enabling TTL is its own helper.
        del tables
        ensure_tables(self.dynamodb, prefix)

    # -- CloudWatch Logs -------------------------------------------------------------------

    def log_group_exists(self, name: str) -> bool:
        with _mapped("CloudWatch Logs"):
            found = self.logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"]
        return any(group["logGroupName"] == name for group in found)

    def create_log_group(self, name: str) -> None:
        with _mapped("CloudWatch Logs"):
            self.logs.create_log_group(logGroupName=name)
            self.logs.put_retention_policy(logGroupName=name, retentionInDays=LOG_RETENTION_DAYS)

    # -- failed asynchronous events -------------------------------------------------------

    def queue_exists(self, name: str) -> bool:
        try:
            with _mapped("SQS"):
                self.sqs.get_queue_url(QueueName=name)
        except _Missing:
            return False
        return True

    def create_failure_queue(self, name: str) -> None:
        with _mapped("SQS"):
            self.sqs.create_queue(
                QueueName=name,
                Attributes={"MessageRetentionPeriod": str(FAILURE_RETENTION_SECONDS), "SqsManagedSseEnabled": "true"},
            )

    def on_failure(self, function_arn: str) -> tuple[str | None, int | None] | None:
        """The function's on-failure destination and retries, or None when it has no configuration."""
        try:
            with _mapped("Lambda"):
                found = self.lambda_.get_function_event_invoke_config(FunctionName=function_arn)
        except _Missing:
            return None
        destination = ((found.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination")
        return destination, found.get("MaximumRetryAttempts")

    def put_on_failure(self, function_arn: str, queue_arn: str) -> None:
        with _mapped("Lambda"):
            self.lambda_.put_function_event_invoke_config(
                FunctionName=function_arn,
                MaximumRetryAttempts=ASYNC_RETRIES,
                DestinationConfig={"OnFailure": {"Destination": queue_arn}},
            )

    # -- IAM -------------------------------------------------------------------------------

    def role(self, name: str, policy_name: str) -> ObservedRole | None:
        try:
            with _mapped("IAM"):
                role = self.iam.get_role(RoleName=name)["Role"]
        except _Missing:
            return None
        try:
            with _mapped("IAM"):
                policy = _document(self.iam.get_role_policy(RoleName=name, PolicyName=policy_name)["PolicyDocument"])
        except _Missing:
            policy = None
        return ObservedRole(trust_policy=_document(role["AssumeRolePolicyDocument"]), policy=policy)

    def create_role(self, name: str, trust_policy: dict[str, Any]) -> None:
        with _mapped("IAM"):
            self.iam.create_role(
                RoleName=name,
                AssumeRolePolicyDocument=json.dumps(trust_policy),
                Description="AOF: lets Step Functions invoke the flow's node Lambdas (aofctl apply)",
            )

    def update_trust_policy(self, name: str, trust_policy: dict[str, Any]) -> None:
        with _mapped("IAM"):
            self.iam.update_assume_role_policy(RoleName=name, PolicyDocument=json.dumps(trust_policy))

    def put_role_policy(self, name: str, policy_name: str, policy: dict[str, Any]) -> None:
        with _mapped("IAM"):
            self.iam.put_role_policy(RoleName=name, PolicyName=policy_name, PolicyDocument=json.dumps(policy))

    # -- Step Functions --------------------------------------------------------------------

    def state_machine(self, arn: str) -> ObservedStateMachine | None:
        try:
            with _mapped("Step Functions"):
                found = self.sfn.describe_state_machine(stateMachineArn=arn)
        except _Missing:
            return None
        return ObservedStateMachine(
            definition=json.loads(found["definition"]),
            role_arn=str(found["roleArn"]),
            logging=dict(found.get("loggingConfiguration") or {}),
            tracing=bool((found.get("tracingConfiguration") or {}).get("enabled")),
        )

    def create_state_machine(
        self, name: str, definition: dict[str, Any], role_arn: str, logging: dict[str, Any]
    ) -> str:
        def call() -> str:
            found = self.sfn.create_state_machine(
                name=name,
                definition=json.dumps(definition),
                roleArn=role_arn,
                loggingConfiguration=logging,
                tracingConfiguration={"enabled": True},
            )
            return str(found["stateMachineArn"])

        return self._while_role_propagates(call)

    def update_state_machine(
        self, arn: str, definition: dict[str, Any], role_arn: str, logging: dict[str, Any]
    ) -> None:
        def call() -> None:
            self.sfn.update_state_machine(
                stateMachineArn=arn,
                definition=json.dumps(definition),
                roleArn=role_arn,
                loggingConfiguration=logging,
                tracingConfiguration={"enabled": True},
            )

        self._while_role_propagates(call)

    def _while_role_propagates(self, call: Callable[[], T], attempts: int = 8) -> T:
        """A role created seconds ago is not yet assumable by Step Functions (IAM is eventually
        consistent); AWS says so with AccessDeniedException. Wait and try again, briefly."""
        for attempt in range(attempts):
            try:
                with _mapped("Step Functions"):
                    return call()
            except ConfigurationError:
                if attempt == attempts - 1:
                    raise
                self.sleep(min(2.0 * (attempt + 1), 10.0))
        raise AssertionError("unreachable")

    # -- SSM -------------------------------------------------------------------------------

    def parameter(self, name: str) -> str | None:
        try:
            with _mapped("SSM"):
                return str(self.ssm.get_parameter(Name=name)["Parameter"]["Value"])
        except _Missing:
            return None

    def put_parameter(self, name: str, value: str) -> None:
        with _mapped("SSM"):
            self.ssm.put_parameter(
                Name=name,
                Value=value,
                Type="String",
                Overwrite=True,
                Description="AOF flow registry: flow -> state machine ARN and trigger path (aofctl apply)",
            )
