"""Task states: which Lambda runs a node, what it is given, how its result is kept."""

from __future__ import annotations

import math
from typing import Any

from ..errors import WaitingForActingSlot, retryable_error_names
from ..nodes.registry import NODE_KINDS
from ..spec.models import AgentNode, AgentResource, AnyNode, is_approval
from ..spec.references import jsonpath, node_key

LAMBDA_INVOKE = "arn:aws:states:::lambda:invoke"
LAMBDA_INVOKE_WAIT = "arn:aws:states:::lambda:invoke.waitForTaskToken"

#: One Lambda per node type (from the node registry); placeholders are filled by
#: DefinitionSubstitutions at apply time.
FUNCTION_PLACEHOLDERS: dict[str, str] = {kind.type: kind.placeholder for kind in NODE_KINDS}

#: Lambda service errors worth retrying, as Step Functions names them.
TRANSIENT_LAMBDA_ERRORS = [
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
]

#: Default per-node Task timeouts when the node sets none (seconds).
DEFAULT_TIMEOUTS = {kind.type: kind.timeout_seconds for kind in NODE_KINDS}

CONTEXT = {
    "execution_id.$": "$$.Execution.Id",
    "execution_name.$": "$$.Execution.Name",
    "started_at.$": "$$.Execution.StartTime",
    "entered_at.$": "$$.State.EnteredTime",
    "state_name.$": "$$.State.Name",
    "retry_count.$": "$$.State.RetryCount",
}


def function_of(node: AnyNode) -> str:
    key = "Approval" if is_approval(node) else node.type
    return "${" + FUNCTION_PLACEHOLDERS[key] + "}"


def retry_policy() -> list[dict[str, Any]]:
    return [
        {
            "ErrorEquals": [*TRANSIENT_LAMBDA_ERRORS, *retryable_error_names()],
            "IntervalSeconds": 2,
            "MaxAttempts": 3,
            "BackoffRate": 2.0,
            "MaxDelaySeconds": 30,
            "JitterStrategy": "FULL",
        }
    ]


#: How often a run waiting for an acting slot of its flow's ``rate_limit`` asks again (seconds).
ACTING_SLOT_POLL_SECONDS = 5


def acting_slot_retry(rate_limit: dict[str, Any]) -> dict[str, Any]:
    """Wait for an acting slot in the definition, not in the Lambda: an agent step with no slot
    fails with ``WaitingForActingSlot`` at once and Step Functions (or the engine's timer) waits
    ``IntervalSeconds`` before the next try, for up to the rate limit's ``timeout_seconds``."""
    timeout = int(rate_limit.get("timeout_seconds") or 1800)
    return {
        "ErrorEquals": [WaitingForActingSlot.__name__],
        "IntervalSeconds": ACTING_SLOT_POLL_SECONDS,
        "MaxAttempts": max(1, math.ceil(timeout / ACTING_SLOT_POLL_SECONDS)),
        "BackoffRate": 1.0,
    }


def node_payload(
    node: AnyNode,
    flow_name: str,
    agents: dict[str, AgentResource],
    safety: dict[str, Any] | None = None,
    allowed_hosts: list[str] | None = None,
) -> dict[str, Any]:
    """The Lambda payload: static node configuration plus the live state and context.

    Agent nodes also carry the flow's safety settings: the policy layer enforces them inside
    the task whatever the model proposes. Nodes that make requests (HTTP, Agent) carry the
    flow's egress allowlist.
    """
    flow: dict[str, Any] = {"name": flow_name}
    if allowed_hosts and node.type in ("HTTP", "Agent"):
        flow["allowed_hosts"] = list(allowed_hosts)
    payload: dict[str, Any] = {
        "node": {"id": node.id, "type": node.type, "config": node.config.model_dump(by_alias=True, mode="json")},
        "flow": flow,
        "state.$": "$",
        "context": dict(CONTEXT),
    }
    if isinstance(node, AgentNode) and node.config.agent in agents:
        agent = agents[node.config.agent]
        payload["agents"] = {agent.name: agent.model_dump(by_alias=True, mode="json", exclude_none=True)}
        if safety:
            payload.update(safety)
    if is_approval(node):
        payload["task_token.$"] = "$$.Task.Token"
    return payload


def node_timeout(node: AnyNode) -> int:
    configured = getattr(node.config, "timeout_seconds", None)
    if configured:
        return int(configured)
    return DEFAULT_TIMEOUTS["Approval" if is_approval(node) else node.type]


def task_state(
    node: AnyNode,
    flow_name: str,
    agents: dict[str, AgentResource],
    *,
    next_state: str | None,
    failure_state: str | None,
    timeout_state: str | None,
    safety: dict[str, Any] | None = None,
    allowed_hosts: list[str] | None = None,
) -> dict[str, Any]:
    """A Task that runs ``node`` and stores its result under ``$.nodes.<id>``."""
    approval = is_approval(node)
    record = jsonpath(("nodes", node_key(node.id)))
    state: dict[str, Any] = {
        "Type": "Task",
        "Comment": f"{node.type} node '{node.id}'",
        "Resource": LAMBDA_INVOKE_WAIT if approval else LAMBDA_INVOKE,
        "Parameters": {
            "FunctionName": function_of(node),
            "Payload": node_payload(node, flow_name, agents, safety, allowed_hosts),
        },
        "TimeoutSeconds": node_timeout(node),
        "Retry": retry_policy(),
    }
    rate_limit = (safety or {}).get("rate_limit")
    if isinstance(node, AgentNode) and rate_limit:
        state["Retry"] = [acting_slot_retry(rate_limit), *state["Retry"]]
    if node.type == "Transform":
        # Transforms set run variables: the handler returns the next state whole, so its
        # exports land under $.vars and its record under $.nodes in one transition.
        state["ResultSelector"] = {
            "event.$": "$.Payload.state.event",
            "vars.$": "$.Payload.state.vars",
            "nodes.$": "$.Payload.state.nodes",
            "flow.$": "$.Payload.state.flow",
        }
        state["ResultPath"] = "$"
    elif approval:
        # A task token is resolved with our decision document itself (no Lambda envelope).
        state["ResultPath"] = record
    else:
        state["ResultSelector"] = {
            "status.$": "$.Payload.status",
            "output.$": "$.Payload.output",
            "meta.$": "$.Payload.meta",
        }
        state["ResultPath"] = record
    catches: list[dict[str, Any]] = []
    if approval and timeout_state:
        catches.append({"ErrorEquals": ["States.Timeout"], "ResultPath": record, "Next": timeout_state})
    if failure_state is not None:
        catches.append({"ErrorEquals": ["States.ALL"], "ResultPath": record, "Next": failure_state})
    if catches:
        state["Catch"] = catches
    if next_state is None:
        state["End"] = True
    else:
        state["Next"] = next_state
    return state


def lifecycle_task(action: str, flow_name: str, node_id: str | None, next_state: str | None) -> dict[str, Any]:
    """A task of the lifecycle Lambda: approval timed out, node failed (records, escalates)."""
    payload: dict[str, Any] = {
        "action": action,
        "flow": {"name": flow_name},
        "state.$": "$",
        "context": dict(CONTEXT),
    }
    if node_id is not None:
        payload["node_id"] = node_id
    state: dict[str, Any] = {
        "Type": "Task",
        "Resource": LAMBDA_INVOKE,
        "Parameters": {"FunctionName": "${" + FUNCTION_PLACEHOLDERS["Lifecycle"] + "}", "Payload": payload},
        "TimeoutSeconds": DEFAULT_TIMEOUTS["Lifecycle"],
        "Retry": retry_policy(),
    }
    if node_id is not None:
        state["ResultSelector"] = {
            "status.$": "$.Payload.status",
            "output.$": "$.Payload.output",
            "meta.$": "$.Payload.meta",
        }
        state["ResultPath"] = jsonpath(("nodes", node_key(node_id)))
    else:
        state["ResultPath"] = None
    if next_state is None:
        state["End"] = True
    else:
        state["Next"] = next_state
    return state
