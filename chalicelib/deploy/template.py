"""The CloudFormation merge template for ``chalice package --merge-template``.

Chalice packages the API and the Lambdas; this adds what ``aofctl apply`` would otherwise
create: the table (kept when the stack goes), the Step Functions role (invoke only our
functions, log, trace), one state machine per flow with the Lambda ARNs substituted at deploy
time, logging at the stage's level with execution data off and X-Ray tracing on, the flow
registry parameter, and the queue that receives the asynchronous functions' failed events.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from chalice.utils import to_cfn_resource_name

from ..compiler import compile_flow
from ..errors import ConfigurationError
from ..nodes.dispatch import PLACEHOLDER_FUNCTIONS
from ..spec import Resources
from ..store import cloudformation_resources
from .desired import (
    ASYNC_FUNCTIONS,
    ASYNC_RETRIES,
    FAILURE_RETENTION_SECONDS,
    LOG_DELIVERY_ACTIONS,
    LOG_LEVELS,
    LOG_RETENTION_DAYS,
    STATES_TRUST_POLICY,
    TRACING_ACTIONS,
    failure_queue_name,
    flow_log_group,
    role_name,
    state_machine_name,
)
from .registry import registry_parameter_name

_PLACEHOLDER = re.compile(r"\$\{(" + "|".join(map(re.escape, PLACEHOLDER_FUNCTIONS)) + r")\}")
ROLE_ID = "FlowExecutionRole"
REGISTRY_ID = "FlowRegistryParameter"
LOG_GROUP_ID = "FlowLogGroup"
FAILURES_ID = "AsyncFailureQueue"


def _function_arn(short_name: str) -> str:
    # Chalice names each @app.lambda_function's resource after its name, CamelCased.
    return "${" + to_cfn_resource_name(short_name) + ".Arn}"


def _literal(text: str) -> str:
    """Text Fn::Sub leaves as it is: ``${`` written ``${!``."""
    return text.replace("${", "${!")


def _substituted(definition: dict[str, Any]) -> dict[str, Any]:
    """The definition as an Fn::Sub string with each placeholder replaced by the function's ARN.

    The flows' own ``${...}`` expressions are written with the JSON escape ``\\u0024{``: the same
    definition once Step Functions parses it, and nothing for Fn::Sub (or cfn-lint) to resolve.
    """
    text = json.dumps(definition, indent=1, sort_keys=False).replace("${", "\\u0024{")
    text = re.sub(r"\\u0024\{(" + "|".join(map(re.escape, PLACEHOLDER_FUNCTIONS)) + r")\}", r"${\1}", text)
    return {"Fn::Sub": _PLACEHOLDER.sub(lambda m: _function_arn(PLACEHOLDER_FUNCTIONS[m.group(1)]), text)}


def _machine_id(flow: str) -> str:
    return to_cfn_resource_name(flow) + "StateMachine"


def _role(prefix: str) -> dict[str, Any]:
    invoke = {
        "Effect": "Allow",
        "Action": "lambda:InvokeFunction",
        "Resource": [{"Fn::GetAtt": [to_cfn_resource_name(n), "Arn"]} for n in sorted(PLACEHOLDER_FUNCTIONS.values())],
    }
    return {
        "Type": "AWS::IAM::Role",
        "Properties": {
            "RoleName": role_name(prefix),
            "AssumeRolePolicyDocument": STATES_TRUST_POLICY,
            "Policies": [
                {
                    "PolicyName": "invoke-node-functions",
                    "PolicyDocument": {"Version": "2012-10-17", "Statement": [invoke]},
                },
                {
                    "PolicyName": "logs-and-traces",
                    "PolicyDocument": {
                        "Version": "2012-10-17",
                        "Statement": [
                            {"Effect": "Allow", "Action": LOG_DELIVERY_ACTIONS, "Resource": "*"},
                            {"Effect": "Allow", "Action": TRACING_ACTIONS, "Resource": "*"},
                        ],
                    },
                },
            ],
        },
    }


def _operations(prefix: str) -> dict[str, Any]:
    return {
        LOG_GROUP_ID: {
            "Type": "AWS::Logs::LogGroup",
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
            "Properties": {"LogGroupName": flow_log_group(prefix), "RetentionInDays": LOG_RETENTION_DAYS},
        },
        FAILURES_ID: {
            "Type": "AWS::SQS::Queue",
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
            "Properties": {
                "QueueName": failure_queue_name(prefix),
                "MessageRetentionPeriod": FAILURE_RETENTION_SECONDS,
                "SqsManagedSseEnabled": True,
            },
        },
        **{
            to_cfn_resource_name(function) + "InvokeConfig": {
                "Type": "AWS::Lambda::EventInvokeConfig",
                "Properties": {
                    "FunctionName": {"Ref": to_cfn_resource_name(function)},
                    "Qualifier": "$LATEST",
                    "MaximumRetryAttempts": ASYNC_RETRIES,
                    "DestinationConfig": {"OnFailure": {"Destination": {"Fn::GetAtt": [FAILURES_ID, "Arn"]}}},
                },
            }
            for function in ASYNC_FUNCTIONS
        },
    }


def merge_template(
    resources: Resources,
    prefix: str,
    lambda_timeouts: Mapping[str, int] | None = None,
    log_level: str = "ERROR",
) -> dict[str, Any]:
    if log_level not in LOG_LEVELS:
        raise ConfigurationError(f"state machine log level {log_level!r} is not one of {', '.join(LOG_LEVELS)}")
    template_resources: dict[str, Any] = dict(cloudformation_resources(prefix))
    template_resources[ROLE_ID] = _role(prefix)
    template_resources.update(_operations(prefix))
    registry: list[str] = []
    for flow_name in sorted(resources.flows):
        flow = resources.flows[flow_name]
        machine_id = _machine_id(flow_name)
        template_resources[machine_id] = {
            "Type": "AWS::StepFunctions::StateMachine",
            "Properties": {
                "StateMachineName": state_machine_name(prefix, flow_name),
                "RoleArn": {"Fn::GetAtt": [ROLE_ID, "Arn"]},
                "DefinitionString": _substituted(compile_flow(flow, resources.agents, lambda_timeouts)),
                # Execution data (inputs, outputs) stays out of the logs: it can carry incident text.
                "LoggingConfiguration": {
                    "Level": log_level,
                    "IncludeExecutionData": False,
                    "Destinations": [
                        {"CloudWatchLogsLogGroup": {"LogGroupArn": {"Fn::GetAtt": [LOG_GROUP_ID, "Arn"]}}}
                    ],
                },
                "TracingConfiguration": {"Enabled": True},
            },
        }
        path = getattr(flow.spec.trigger.config, "path", None)
        registry.append(
            _literal(json.dumps(flow_name) + ':{"state_machine_arn":"')
            + "${"
            + machine_id
            + "}"
            + _literal('","trigger_path":' + json.dumps(path) + "}")
        )
    template_resources[REGISTRY_ID] = {
        "Type": "AWS::SSM::Parameter",
        "Properties": {
            "Name": registry_parameter_name(prefix),
            "Type": "String",
            "Description": "AOF flow registry: flow -> state machine ARN and trigger path",
            "Value": {"Fn::Sub": "{" + ",".join(registry) + "}"},
        },
    }
    return {"Resources": template_resources}
