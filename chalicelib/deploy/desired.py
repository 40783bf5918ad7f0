"""The desired cloud state for a set of flows: pure, computed from the YAML and function ARNs."""

from __future__ import annotations

from typing import Any

from ..compiler import compile_flow, substitute_arns
from ..errors import ConfigurationError
from ..nodes.dispatch import PLACEHOLDER_FUNCTIONS
from ..spec import Resources
from ..store import dynamodb_table_definitions
from .model import Desired, DesiredRole, DesiredStateMachine
from .registry import FlowEntry, encode_registry, registry_parameter_name

STATES_TRUST_POLICY: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "states.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}


def role_name(prefix: str) -> str:
    return f"{prefix}-states-execution"


def state_machine_name(prefix: str, flow: str) -> str:
    return f"{prefix}-{flow}"


#: What Step Functions needs to deliver a machine's logs to CloudWatch Logs (AWS names no resource).
LOG_DELIVERY_ACTIONS = [
    "logs:CreateLogDelivery",
    "logs:GetLogDelivery",
    "logs:UpdateLogDelivery",
    "logs:DeleteLogDelivery",
    "logs:ListLogDeliveries",
    "logs:PutResourcePolicy",
    "logs:DescribeResourcePolicies",
    "logs:DescribeLogGroups",
]
TRACING_ACTIONS = [
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
    "xray:GetSamplingRules",
    "xray:GetSamplingTargets",
]
LOG_LEVELS = ("ALL", "ERROR", "FATAL", "OFF")
#: Days CloudWatch Logs keeps the machines' log lines.
LOG_RETENTION_DAYS = 90


#: Functions invoked asynchronously (EventBridge): an event that still fails goes to the queue.
ASYNC_FUNCTIONS = ("execution_finished", "post_incident_daily")
#: Lambda's own retries of a failed asynchronous event before it goes to the queue.
ASYNC_RETRIES = 2
#: Seconds the queue keeps a failed event (14 days, SQS's longest).
FAILURE_RETENTION_SECONDS = 1209600


def failure_queue_name(prefix: str) -> str:
    return f"{prefix}-async-failures"


def flow_log_group(prefix: str) -> str:
    """The machines' log group; Step Functions' vended-logs path keeps its resource policy small."""
    return f"/aws/vendedlogs/states/{prefix}-flows"


def execution_policy(function_arns: list[str]) -> dict[str, Any]:
    """Least privilege: the machines may invoke exactly our node functions, log and trace."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "InvokeNodeFunctions",
                "Effect": "Allow",
                "Action": "lambda:InvokeFunction",
                "Resource": sorted(function_arns),
            },
            {"Sid": "DeliverLogs", "Effect": "Allow", "Action": LOG_DELIVERY_ACTIONS, "Resource": "*"},
            {"Sid": "WriteTraces", "Effect": "Allow", "Action": TRACING_ACTIONS, "Resource": "*"},
        ],
    }


def logging_configuration(log_group_arn: str, level: str) -> dict[str, Any]:
    """Logs at ``level``; execution data (inputs, outputs) stays out: it can carry incident text."""
    return {
        "level": level,
        "includeExecutionData": False,
        "destinations": [{"cloudWatchLogsLogGroup": {"logGroupArn": log_group_arn}}],
    }


def _account_and_region(function_arns: dict[str, str]) -> tuple[str, str, str]:
    """(partition, region, account) from a Lambda ARN ``arn:aws:lambda:<region>:<account>:function:..``."""
    arn = next(iter(function_arns.values()))
    parts = arn.split(":")
    if len(parts) < 7 or parts[2] != "lambda":
        raise ConfigurationError(f"not a Lambda function ARN: {arn!r}")
    return parts[1], parts[3], parts[4]


def desired_state(
    resources: Resources,
    function_arns: dict[str, str],
    prefix: str,
    lambda_timeouts: dict[str, int] | None = None,
    log_level: str = "ERROR",
) -> Desired:
    """Everything ``aofctl apply`` makes exist for ``resources`` on table prefix ``prefix``.

    The machines log and trace as the packaged template's do: at the stage's ``log_level``
    (``state_machine_log_level`` in the stage config), execution data off, X-Ray on.
    """
    if log_level not in LOG_LEVELS:
        raise ConfigurationError(f"state machine log level {log_level!r} is not one of {', '.join(LOG_LEVELS)}")
    partition, region, account = _account_and_region(function_arns)
    log_group = flow_log_group(prefix)
    # Step Functions wants the log group's ARN with its streams' wildcard.
    logging = logging_configuration(f"arn:{partition}:logs:{region}:{account}:log-group:{log_group}:*", log_level)
    placeholders = {key: function_arns[short] for key, short in PLACEHOLDER_FUNCTIONS.items()}
    machines: list[DesiredStateMachine] = []
    for flow_name in sorted(resources.flows):
        flow = resources.flows[flow_name]
        definition = substitute_arns(compile_flow(flow, resources.agents, lambda_timeouts), placeholders)
        name = state_machine_name(prefix, flow_name)
        machines.append(
            DesiredStateMachine(
                flow=flow_name,
                name=name,
                arn=f"arn:{partition}:states:{region}:{account}:stateMachine:{name}",
                definition=definition,
                trigger_path=getattr(flow.spec.trigger.config, "path", None),
                rate_limit=flow.spec.rate_limit.model_dump() if flow.spec.rate_limit else None,
                logging=logging,
            )
        )
    rname = role_name(prefix)
    role = DesiredRole(
        name=rname,
        arn=f"arn:{partition}:iam::{account}:role/{rname}",
        trust_policy=STATES_TRUST_POLICY,
        policy_name="flow-execution",
        policy=execution_policy(list(placeholders.values())),
    )
    queue = failure_queue_name(prefix)
    registry = {m.flow: FlowEntry(m.arn, m.trigger_path, m.rate_limit) for m in machines}
    return Desired(
        prefix=prefix,
        tables=dynamodb_table_definitions(prefix),
        log_group=log_group,
        failure_queue=queue,
        failure_queue_arn=f"arn:{partition}:sqs:{region}:{account}:{queue}",
        async_functions={name: function_arns[name] for name in ASYNC_FUNCTIONS if name in function_arns},
        role=role,
        state_machines=machines,
        registry_parameter=registry_parameter_name(prefix),
        registry_value=encode_registry(registry),
    )
