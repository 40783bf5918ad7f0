"""What a ``${...}`` reference in a flow points at, decided before the flow ever runs.

The same resolution serves the validator (unknown names are caught at ``aofctl validate``,
not at 3 a.m.), the compiler (each reference becomes a JSONPath into the execution state)
and the node handlers (which look values up in that state).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from ..agents.schema import derive_schema
from ..errors import SpecError
from ..expr import Ref
from .agent import AgentResource
from .diagnostics import suggest
from .flow import AgentFlowResource
from .graph import FlowGraph
from .nodes import AgentNode, AnyNode, ApprovalNode, ConditionalNode, HTTPNode, SlackNode, TransformNode

# The transform script parser (2 ms) is imported only for a flow with a transform node.

StatePath = tuple[str, ...]

#: Fields every node record has in ``$.nodes.<id>``.
NODE_RECORD_FIELDS = ("output", "status", "reason", "meta", "skipped")
#: Fields of ``${flow.…}``; computed by the handler when the template is rendered.
FLOW_FIELDS = ("duration_seconds", "name", "run_id", "started_at", "execution_id")
APPROVAL_FIELDS = ("decision", "reaction", "approved", "decided_by", "decided_at", "approval_id", "timed_out")
SLACK_FIELDS = ("channel", "ts", "thread_ts")
HTTP_FIELDS = ("status_code", "ok", "body", "json", "headers", "ref")
ENV_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")


@dataclass(frozen=True)
class Resolved:
    kind: Literal["event", "flow", "var", "node", "env"]
    #: Where the value lives in the execution state (``("nodes", "diagnose", "output", "severity")``).
    path: StatePath


def node_key(node_id: str) -> str:
    """The key of a node's record under ``$.nodes``: ``-`` becomes ``_``.

    Step Functions reference paths (``ResultPath``) only allow letters, digits and ``_`` in a
    field name, and node ids commonly contain ``-`` (``verify-fix``). The validator refuses two
    ids that differ only by ``-``/``_``.
    """
    return node_id.replace("-", "_")


def jsonpath(path: StatePath) -> str:
    """A Step Functions reference path; keys that are not plain identifiers use brackets."""
    out = "$"
    for part in path:
        if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", part):
            out += f".{part}"
        else:
            out += f"['{part}']"
    return out


class FlowReferences:
    """Static knowledge about one flow: node outputs, exported variables, ordering."""

    def __init__(self, flow: AgentFlowResource, agents: dict[str, AgentResource]) -> None:
        from ..transform.script import parse_script

        self.flow = flow
        self.graph = FlowGraph.of(flow)
        self.agents = agents
        self.exports: dict[str, list[str]] = {}
        for node in flow.spec.nodes:
            if isinstance(node, TransformNode):
                try:
                    script = parse_script(node.config.script, node.id)
                except SpecError:
                    continue  # reported by the validator with its line
                self.exports[node.id] = [e.name for e in script.exports]

    def output_fields(self, node: AnyNode) -> tuple[str, ...] | None:
        """The fields of a node's ``output``; None when any field may appear."""
        if isinstance(node, TransformNode):
            return tuple(self.exports.get(node.id, ()))
        if isinstance(node, ConditionalNode):
            if node.config.conditions is not None:
                return tuple(c.name for c in node.config.conditions)
            return ("result",)
        if isinstance(node, ApprovalNode) or (isinstance(node, SlackNode) and node.config.wait_for_reaction):
            return APPROVAL_FIELDS
        if isinstance(node, SlackNode):
            return SLACK_FIELDS
        if isinstance(node, HTTPNode):
            return HTTP_FIELDS
        if isinstance(node, AgentNode):
            return agent_output_fields(self.agents.get(node.config.agent))
        return ()

    def exporters_of(self, name: str) -> list[str]:
        return [node for node, names in self.exports.items() if name in names]

    def resolve(self, ref: Ref, at: str, from_node: str | None = None) -> Resolved:
        """Resolve ``ref`` used by node ``at`` (in a condition on ``from_node``); raise ValueError."""
        parts = ref.parts
        head = parts[0]
        upstream = self.graph.ancestors(at)
        from_fields: tuple[str, ...] = ()
        if from_node is not None and len(parts) == 1:
            fields = self.output_fields(self.graph.nodes[from_node])
            if fields is None or head in fields:
                return Resolved("node", ("nodes", node_key(from_node), "output", head))
            from_fields = fields
        if head == "event":
            return Resolved("event", tuple(parts))
        if head == "flow":
            if len(parts) != 2 or parts[1] not in FLOW_FIELDS:
                raise ValueError(f"unknown flow field '{'.'.join(parts[1:])}'; known: {', '.join(FLOW_FIELDS)}")
            return Resolved("flow", tuple(parts))
        if head == "vars":
            if len(parts) != 2:
                raise ValueError("write ${vars.NAME}")
            return self._var(parts[1], at, upstream)
        if head in self.graph.nodes:
            return self._node(parts, at, upstream)
        if len(parts) == 1:
            if self.exporters_of(head):
                return self._var(head, at, upstream)
            exported = [n for names in self.exports.values() for n in names]
            close = suggest(head, exported)
            if ENV_NAME.match(head) and close is None and from_node is None:
                return Resolved("env", (head,))
            if ENV_NAME.match(head) and close is not None:
                raise ValueError(
                    f"unknown variable '{head}' (did you mean '{close}'?); no Transform exports it and "
                    f"it is too close to an exported name to be an environment variable"
                )
        if from_fields:
            hint = suggest(head, list(from_fields))
            raise ValueError(
                f"'{from_node}' has no output '{head}'"
                + (f" (did you mean '{hint}'?)" if hint else f"; it has: {', '.join(from_fields)}")
            )
        candidates = [
            *self.graph.nodes,
            *(n for names in self.exports.values() for n in names),
            "event",
            "flow",
        ]
        hint = suggest(head, candidates)
        message = f"unknown reference '{ref.dotted}': '{head}' is not a node, a variable or event/flow"
        raise ValueError(message + (f" (did you mean '{hint}'?)" if hint else ""))

    def _var(self, name: str, at: str, upstream: set[str]) -> Resolved:
        exporters = self.exporters_of(name)
        if not exporters:
            raise ValueError(f"variable '{name}' is not exported by any Transform node")
        if not any(e in upstream for e in exporters):
            raise ValueError(
                f"variable '{name}' is exported by {', '.join(exporters)}, which does not run before '{at}'"
            )
        return Resolved("var", ("vars", name))

    def _node(self, parts: tuple[str, ...], at: str, upstream: set[str]) -> Resolved:
        node_id = parts[0]
        if node_id not in upstream:
            raise ValueError(f"'{node_id}' does not run before '{at}', so its result is never available there")
        if len(parts) == 1:
            raise ValueError(f"write ${{{node_id}.output}} or ${{{node_id}.output.FIELD}}")
        if parts[1] not in NODE_RECORD_FIELDS:
            hint = suggest(parts[1], list(NODE_RECORD_FIELDS))
            raise ValueError(
                f"'{node_id}.{parts[1]}' is not a node field"
                + (f" (did you mean '{hint}'?)" if hint else f"; use one of {', '.join(NODE_RECORD_FIELDS)}")
            )
        if parts[1] == "output" and len(parts) > 2:
            fields = self.output_fields(self.graph.nodes[node_id])
            if fields is not None and parts[2] not in fields:
                hint = suggest(parts[2], list(fields))
                raise ValueError(
                    f"'{node_id}' has no output field '{parts[2]}'"
                    + (f" (did you mean '{hint}'?)" if hint else f"; it has: {', '.join(fields) or 'none'}")
                )
        return Resolved("node", ("nodes", node_key(node_id), *parts[1:]))


def agent_output_fields(agent: AgentResource | None) -> tuple[str, ...] | None:
    """Properties of the agent's output schema (explicit, else derived from its instructions)."""
    if agent is None:
        return None
    schema: dict[str, Any] | None = agent.spec.output_schema
    if schema is None:
        schema = derive_schema(agent.spec.instructions)
    if not schema or not isinstance(schema.get("properties"), dict):
        return None
    return tuple(schema["properties"])
