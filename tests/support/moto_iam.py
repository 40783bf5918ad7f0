"""Moto with IAM enforced, resources included, and principals made from the project's own policy documents.

Moto checks a caller's policies once ``INITIAL_NO_AUTH_ACTION_COUNT`` requests have been
served (0 here), but for most services it evaluates every statement against the resource
``*``, so a statement scoped to a table or a state machine would never match. While
:func:`iam_enforced` is active, DynamoDB, Step Functions and SSM name the resource a request
acts on, as AWS does (a table or its index, a state machine or an execution, a parameter), so
the documents are judged with their ``Resource`` lines.

:func:`resource_arn` is that mapping; :func:`permitted` judges one action on one resource
with moto's own statement matcher, for calls moto itself does not authorise (a state
machine's role invoking a function).
"""

from __future__ import annotations

import json
import re
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
from moto import settings
from moto.awslambda.responses import LambdaResponse
from moto.core.authorization import ActionAuthenticatorMixin
from moto.dynamodb.responses import DynamoHandler
from moto.iam.access_control import IAMPolicy, IAMRequestBase, PermissionResult
from moto.iam.responses import IamResponse
from moto.logs.responses import LogsResponse
from moto.sqs.responses import SQSResponse
from moto.ssm.responses import SimpleSystemManagerResponse
from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils
from moto.stepfunctions.responses import StepFunctionResponse

ACCOUNT_ID = "123456789012"
REGION = "us-east-1"
ROOT = Path(__file__).resolve().parents[2]
ADMIN_POLICY = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
DENIED_CODES = frozenset({"AccessDenied", "AccessDeniedException", "UnauthorizedOperation"})


def policy_document(name: str) -> dict[str, Any]:
    """A policy document shipped in ``.chalice/`` (the exact file a deploy uses)."""
    loaded: dict[str, Any] = json.loads((ROOT / ".chalice" / name).read_text())
    return loaded


def resource_arn(prefix: str, operation: str, params: dict[str, Any], region: str, account: str) -> str:
    """The resource ARN IAM judges ``prefix:operation`` with ``params`` against (``*`` if none)."""
    if prefix == "dynamodb":
        table = params.get("TableName")
        if table is None:
            items = params.get("RequestItems") or params.get("TransactItems")
            if isinstance(items, dict) and items:
                table = next(iter(items))
        if not table:
            return "*"
        arn = f"arn:aws:dynamodb:{region}:{account}:table/{table}"
        return f"{arn}/index/{params['IndexName']}" if params.get("IndexName") else arn
    if prefix == "states":
        for key in ("executionArn", "stateMachineArn", "resourceArn"):
            if isinstance(params.get(key), str):
                return str(params[key])
        if operation == "CreateStateMachine" and params.get("name"):
            return f"arn:aws:states:{region}:{account}:stateMachine:{params['name']}"
        return "*"
    if prefix == "ssm":
        name = params.get("Name")
        if not isinstance(name, str):
            return "*"
        return f"arn:aws:ssm:{region}:{account}:parameter{name if name.startswith('/') else '/' + name}"
    if prefix == "iam" and params.get("RoleName"):
        return f"arn:aws:iam::{account}:role/{params['RoleName']}"
    if prefix == "sqs" and (params.get("QueueName") or params.get("QueueUrl")):
        name = str(params.get("QueueName") or params.get("QueueUrl")).rstrip("/").rsplit("/", 1)[-1]
        return f"arn:aws:sqs:{region}:{account}:{name}"
    if prefix == "logs" and params.get("logGroupName"):
        return f"arn:aws:logs:{region}:{account}:log-group:{params['logGroupName']}"
    if prefix == "lambda" and params.get("FunctionName"):
        name = str(params["FunctionName"])
        return name if name.startswith("arn:") else f"arn:aws:lambda:{region}:{account}:function:{name}"
    return "*"


def permitted(documents: list[dict[str, Any]], action: str, resource: str) -> bool:
    """IAM's rule: some statement allows ``action`` on ``resource`` and none denies it."""
    allowed = False
    for document in documents:
        result = IAMPolicy(json.dumps(document)).is_action_permitted(action, resource)
        if result == PermissionResult.DENIED:
            return False
        allowed = allowed or result == PermissionResult.PERMITTED
    return allowed


def _params(response: Any) -> dict[str, Any]:
    if isinstance(response, IamResponse):  # a query protocol: each parameter is a list
        return {key: values[0] for key, values in dict(response.data).items() if values}
    if isinstance(response, LambdaResponse):  # the function is named in the path
        found = re.search(r"/functions/([^/]+)", urllib.parse.unquote(response.path))
        return {"FunctionName": found.group(1)} if found else {}
    body = getattr(response, "body", None)
    if isinstance(body, dict):
        return body
    try:
        loaded = json.loads(body or "{}")
    except (TypeError, ValueError):
        return {}
    return loaded if isinstance(loaded, dict) else {}


def _resource_namer(prefix: str) -> Any:
    def determine(response: Any) -> str:
        return resource_arn(prefix, response._get_action(), _params(response), response.region, ACCOUNT_ID)

    return determine


# IAM names a role only once it exists; a policy scoped to the role must cover creating it too.
_NAMED = (
    (DynamoHandler, "dynamodb"),
    (StepFunctionResponse, "states"),
    (SimpleSystemManagerResponse, "ssm"),
    (IamResponse, "iam"),
    (LambdaResponse, "lambda"),
    (LogsResponse, "logs"),
    (SQSResponse, "sqs"),
)


# Where IAM's action is not the API operation's name (moto judges the operation's name).
IAM_ACTIONS = {"lambda:Invoke": "lambda:InvokeFunction"}


def _judged_as_iam_action(check: Any) -> Any:
    def check_action_permitted(request: Any, resource: str) -> None:
        request._action = IAM_ACTIONS.get(request._action, request._action)
        check(request, resource)

    return check_action_permitted


def _signature_checked(check: Any) -> Any:
    # Moto computes the signature of Lambda's GET requests differently from botocore and refuses
    # even an administrator's; for those only the policy is judged.
    def check_signature(request: Any) -> None:
        if request._service == "lambda" and request._method == "GET":
            return
        check(request)

    return check_signature


@contextmanager
def iam_enforced() -> Iterator[None]:
    """Every request from here on is authenticated and authorised, resources included."""
    saved = (settings.INITIAL_NO_AUTH_ACTION_COUNT, ActionAuthenticatorMixin.request_count)
    check = IAMRequestBase.check_action_permitted
    IAMRequestBase.check_action_permitted = _judged_as_iam_action(check)  # type: ignore[method-assign]
    signature = IAMRequestBase.check_signature
    IAMRequestBase.check_signature = _signature_checked(signature)  # type: ignore[method-assign]
    originals = {cls: cls.__dict__.get("_determine_resource") for cls, _ in _NAMED}
    for cls, prefix in _NAMED:
        cls._determine_resource = _resource_namer(prefix)  # type: ignore[attr-defined]
    settings.INITIAL_NO_AUTH_ACTION_COUNT = 0
    ActionAuthenticatorMixin.request_count = 0
    try:
        yield
    finally:
        settings.INITIAL_NO_AUTH_ACTION_COUNT, ActionAuthenticatorMixin.request_count = saved
        IAMRequestBase.check_action_permitted = check  # type: ignore[method-assign]
        IAMRequestBase.check_signature = signature  # type: ignore[method-assign]
        for cls, original in originals.items():
            if original is None:
                del cls._determine_resource  # type: ignore[attr-defined]
            else:
                cls._determine_resource = original  # type: ignore[attr-defined]


@contextmanager
def unenforced() -> Iterator[None]:
    """A moment of the account administrator's, between enforced calls."""
    saved = settings.INITIAL_NO_AUTH_ACTION_COUNT
    settings.INITIAL_NO_AUTH_ACTION_COUNT = float("inf")
    try:
        yield
    finally:
        settings.INITIAL_NO_AUTH_ACTION_COUNT = saved


@contextmanager
def state_machines_act_as(role_name: str) -> Iterator[None]:
    """Moto's Step Functions calls Lambda with fixed keys; make it sign as the machines' role,
    as the service does once it has assumed the role the state machine names."""
    with unenforced():
        iam = boto3.client("iam", region_name=REGION, aws_access_key_id="setup", aws_secret_access_key="setup")
        arn = iam.get_role(RoleName=role_name)["Role"]["Arn"]
        sts = boto3.client("sts", region_name=REGION, aws_access_key_id="setup", aws_secret_access_key="setup")
        creds = sts.assume_role(RoleArn=arn, RoleSessionName="states")["Credentials"]
    original = lambda_eval_utils.boto_client_for

    def signed_as_role(region: str, service: str, state_credentials: Any = None) -> Any:
        return boto3.client(
            service,
            region_name=region,
            aws_access_key_id=creds["AccessKeyId"],
            aws_secret_access_key=creds["SecretAccessKey"],
            aws_session_token=creds["SessionToken"],
            config=original(region, service).meta.config,
        )

    lambda_eval_utils.boto_client_for = signed_as_role
    try:
        yield
    finally:
        lambda_eval_utils.boto_client_for = original


def _trust(service: str) -> str:
    statement = {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def role_credentials(name: str, service: str, document: dict[str, Any]) -> dict[str, str]:
    """Credentials of a fresh role ``name`` (trusted by ``service``) whose only policy is ``document``.

    Call before :func:`iam_enforced` (creating roles is the account administrator's business).
    """
    iam = boto3.client("iam", region_name=REGION, aws_access_key_id="setup", aws_secret_access_key="setup")
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=_trust(service))["Role"]["Arn"]
    iam.put_role_policy(RoleName=name, PolicyName=f"{name}-policy", PolicyDocument=json.dumps(document))
    sts = boto3.client("sts", region_name=REGION, aws_access_key_id="setup", aws_secret_access_key="setup")
    creds = sts.assume_role(RoleArn=arn, RoleSessionName=name)["Credentials"]
    return {
        "aws_access_key_id": creds["AccessKeyId"],
        "aws_secret_access_key": creds["SecretAccessKey"],
        "aws_session_token": creds["SessionToken"],
    }


def user_credentials(name: str, document: dict[str, Any]) -> dict[str, str]:
    """Access keys of a fresh IAM user ``name`` whose only policy is ``document``."""
    iam = boto3.client("iam", region_name=REGION, aws_access_key_id="setup", aws_secret_access_key="setup")
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName=f"{name}-policy", PolicyDocument=json.dumps(document))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return {"aws_access_key_id": key["AccessKeyId"], "aws_secret_access_key": key["SecretAccessKey"]}


def as_environment(credentials: dict[str, str]) -> dict[str, str]:
    """The credentials as the variables a Lambda's runtime sets for its role."""
    return {
        "AWS_ACCESS_KEY_ID": credentials["aws_access_key_id"],
        "AWS_SECRET_ACCESS_KEY": credentials["aws_secret_access_key"],
        **({"AWS_SESSION_TOKEN": credentials["aws_session_token"]} if "aws_session_token" in credentials else {}),
    }
