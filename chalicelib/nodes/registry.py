"""The one table of node types: which handler runs a node, in which Lambda, and what it does.

The compiler (which function a Task state invokes, its default timeout), the Lambda handlers in
``app.py`` and :mod:`chalicelib.nodes.dispatch`, the embedded invoker and ``docs/nodes.md`` all
read this table; a test fails when any of them disagrees with it. The handlers import their node
module when they run, so the compiler and the webhook route pay nothing for them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..settings import AOF_FILES_DIR

if TYPE_CHECKING:
    from .deps import NodeDeps
    from .models import NodeOutput

# Each handler is imported when its node type first runs: a Lambda runs one node type and loads
# only its handler (agent 36 ms, lifecycle 21 ms, slack 17 ms, http 15 ms, transform 5 ms,
# the node input models 4 ms).

#: ``(payload, deps) -> (run_id, node_id, output)``: the ids say where printed messages are recorded.
Handler = Callable[[dict[str, Any], "NodeDeps"], "tuple[str, str | None, NodeOutput]"]


@dataclass(frozen=True)
class NodeKind:
    """One node type of a flow (or the flow's own lifecycle task) and the Lambda that runs it."""

    type: str
    function: str  # the Lambda's short name, as app.py declares it
    handler: Handler
    timeout_seconds: int  # the Task state's timeout when the node sets none
    doc: str  # one line for docs/nodes.md

    @property
    def placeholder(self) -> str:
        """The ``${...}`` name the compiled definition carries until apply fills in the ARN."""
        words = "".join(part.capitalize() for part in self.function.split("_"))
        return f"{words}FunctionArn"


def _transform(payload: dict[str, Any], deps: NodeDeps) -> tuple[str, str | None, NodeOutput]:
    from chalicelib.nodes import transform

    from .models import NodeInput

    event = NodeInput.model_validate(payload)
    files = deps.env.get(AOF_FILES_DIR)
    output = transform.handle(
        event, artifacts=deps.store.artifacts, clock=deps.clock, files_dir=Path(files) if files else None
    )
    return event.context.run_id, event.node.id, output


def _agent(payload: dict[str, Any], deps: NodeDeps) -> tuple[str, str | None, NodeOutput]:
    from chalicelib.nodes import agent

    from .models import NodeInput

    event = NodeInput.model_validate(payload)
    return event.context.run_id, event.node.id, agent.handle(event, deps)


def _slack(payload: dict[str, Any], deps: NodeDeps) -> tuple[str, str | None, NodeOutput]:
    from chalicelib.nodes import slack

    from .models import NodeInput

    event = NodeInput.model_validate(payload)
    return event.context.run_id, event.node.id, slack.handle(event, deps)


def _http(payload: dict[str, Any], deps: NodeDeps) -> tuple[str, str | None, NodeOutput]:
    from chalicelib.nodes import http

    from .models import NodeInput

    event = NodeInput.model_validate(payload)
    return event.context.run_id, event.node.id, http.handle(event, deps)


def _lifecycle(payload: dict[str, Any], deps: NodeDeps) -> tuple[str, str | None, NodeOutput]:
    from chalicelib.nodes import lifecycle

    from .models import LifecycleInput

    event = LifecycleInput.model_validate(payload)
    return event.context.run_id, event.node_id, lifecycle.handle(event, deps)


NODE_KINDS: tuple[NodeKind, ...] = (
    NodeKind(
        "Transform", "transform_node", _transform, 60, "runs a script's `export`s and file writes (never a shell)"
    ),
    NodeKind("Agent", "agent_node", _agent, 300, "runs an agent on the incident; every change passes the policy gate"),
    NodeKind("Slack", "slack_node", _slack, 60, "posts a message to a Slack channel"),
    NodeKind("Approval", "approval_node", _slack, 600, "asks approvers in Slack and waits for their decision"),
    NodeKind("HTTP", "http_node", _http, 120, "makes one HTTP request (public addresses only), with retries"),
    NodeKind("Lifecycle", "lifecycle", _lifecycle, 120, "records a failed node or a timed-out approval and escalates"),
)

BY_TYPE: dict[str, NodeKind] = {kind.type: kind for kind in NODE_KINDS}
BY_FUNCTION: dict[str, NodeKind] = {kind.function: kind for kind in NODE_KINDS}
BY_PLACEHOLDER: dict[str, NodeKind] = {kind.placeholder: kind for kind in NODE_KINDS}


def kind_of_function(function: str) -> NodeKind | None:
    """The node kind behind a function name: short (``agent_node``), deployed
    (``aof-incident-response-dev-agent_node``) or an ARN, with or without a qualifier."""
    name = function.split(":")[6] if function.startswith("arn:") and function.count(":") >= 6 else function
    for kind in NODE_KINDS:
        if name == kind.function or name.endswith("-" + kind.function):
            return kind
    return None


def docs_table() -> str:
    """The Markdown table ``docs/nodes.md`` carries (a test compares the two)."""
    rows = ["| Node type | Lambda | Default timeout | What it does |", "| --- | --- | --- | --- |"]
    rows += [f"| `{k.type}` | `{k.function}` | {k.timeout_seconds} s | {k.doc} |" for k in NODE_KINDS]
    return "\n".join(rows) + "\n"
