"""Route a task to its node handler: the one place the Lambdas and the embedded engine share."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..observability.runs import logged_task
from .deps import NodeDeps
from .models import LifecycleInput, NodeInput, NodeOutput

#: Lambda function short names (as ``app.py`` declares them) by node type.
FUNCTIONS = {
    "Transform": "transform_node",
    "Agent": "agent_node",
    "Slack": "slack_node",
    "Approval": "approval_node",
    "HTTP": "http_node",
    "Lifecycle": "lifecycle",
}

#: Placeholder in compiled definitions -> function short name.
PLACEHOLDER_FUNCTIONS = {
    "TransformNodeFunctionArn": "transform_node",
    "AgentNodeFunctionArn": "agent_node",
    "SlackNodeFunctionArn": "slack_node",
    "ApprovalNodeFunctionArn": "approval_node",
    "HttpNodeFunctionArn": "http_node",
    "LifecycleFunctionArn": "lifecycle",
}


@logged_task
def run_task(function: str, payload: dict[str, Any], deps: NodeDeps) -> dict[str, Any]:
    """Run the handler behind ``function`` (short name, possibly prefixed) on a task payload."""
    name = function.rsplit(":", 1)[-1]
    for short in PLACEHOLDER_FUNCTIONS.values():
        if name == short or name.endswith("-" + short):
            name = short
            break
    from .printed import console_posts, record_printed

    output: NodeOutput
    posts_before = console_posts(deps)
    if name == "lifecycle":
        from . import lifecycle

        lifecycle_event = LifecycleInput.model_validate(payload)
        output = lifecycle.handle(lifecycle_event, deps)
        record_printed(deps, lifecycle_event.context.run_id, lifecycle_event.node_id, output, posts_before)
        return output.payload()
    event = NodeInput.model_validate(payload)
    if name == "transform_node":
        from ..settings import AOF_FILES_DIR
        from . import transform

        files = deps.env.get(AOF_FILES_DIR)
        output = transform.handle(
            event, artifacts=deps.store.artifacts, clock=deps.clock, files_dir=Path(files) if files else None
        )
    elif name == "agent_node":
        from . import agent

        output = agent.handle(event, deps)
    elif name in ("slack_node", "approval_node"):
        from . import slack

        output = slack.handle(event, deps)
    elif name == "http_node":
        from . import http

        output = http.handle(event, deps)
    else:
        raise ValueError(f"no node handler for function {function!r}")
    record_printed(deps, event.context.run_id, event.node.id, output, posts_before)
    return output.payload()
