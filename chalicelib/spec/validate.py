"""Cross-resource checks: graph shape, agents, Transform scripts, every ``${...}`` reference."""

from __future__ import annotations

from typing import Any

from ..errors import ExpressionError, SpecError
from ..expr import parse_condition, parse_template
from ..expr.json_template import check_json_template, looks_like_json
from .agent import AgentResource
from .diagnostics import suggest
from .flow import AgentFlowResource
from .graph import check_graph
from .mcp_pins import unpinned_reason
from .nodes import AgentNode, ConditionalNode, HTTPNode, TransformNode, WaitNode
from .references import FlowReferences
from .resources import Resources
from .yaml_source import Path, SourceDocument

# The transform script parser (2 ms) is imported only for a flow with a transform node.


def _strings(value: Any, path: Path) -> list[tuple[Path, str]]:
    if isinstance(value, str):
        return [(path, value)]
    found: list[tuple[Path, str]] = []
    if isinstance(value, dict):
        for key, item in value.items():
            found.extend(_strings(item, (*path, key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.extend(_strings(item, (*path, index)))
    return found


def _label(path: Path, node_id: str) -> str:
    out = f"spec.nodes[{node_id}]"
    for part in path[3:]:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def check_flow(flow: AgentFlowResource, agents: dict[str, AgentResource], doc: SourceDocument | None) -> list[str]:
    """Every problem in one flow, as ``file:line: path: message``."""
    problems = check_graph(flow, doc)
    if problems:
        return problems

    def at(path: Path, *, offset: int | None = None, fragment: str | None = None) -> str:
        return f"{doc.file}:{doc.line_in(path, offset=offset, fragment=fragment)}" if doc else f"<{flow.name}>"

    refs = FlowReferences(flow, agents)
    for index, node in enumerate(flow.spec.nodes):
        base: Path = ("spec", "nodes", index)
        if isinstance(node, AgentNode) and node.config.agent not in agents:
            hint = suggest(node.config.agent, list(agents))
            path = (*base, "config", "agent")
            message = f"{at(path)}: {_label(path, node.id)}: unknown agent '{node.config.agent}'"
            problems.append(message + (f" (did you mean '{hint}'?)" if hint else ""))
        if isinstance(node, TransformNode):
            from ..transform.script import parse_script

            script_path = (*base, "config", "script")
            try:
                script = parse_script(node.config.script, _label(script_path, node.id))
            except SpecError as error:
                problems.extend(f"{at(script_path)}: {p}" for p in error.problems)
                continue
            texts: list[tuple[Path, str]] = []
            for export in script.exports:
                if export.is_template and isinstance(export.value, str):
                    texts.append((script_path, export.value))
            for write in script.writes:
                texts.extend([(script_path, write.path), (script_path, write.content)])
        else:
            texts = _strings(node.config.model_dump(by_alias=True), (*base, "config"))
        if isinstance(node, ConditionalNode):
            texts = []  # checked as conditions below
        if isinstance(node, WaitNode) and node.config.until is None:
            texts = []
        for path, text in texts:
            problems.extend(_check_template(text, path, node.id, refs, at))
        if isinstance(node, ConditionalNode):
            named = node.config.conditions or []
            items: list[tuple[Path, str | bool]] = [
                ((*base, "config", "conditions", i, "expression"), c.expression) for i, c in enumerate(named)
            ]
            if node.config.condition is not None:
                items.append(((*base, "config", "condition"), node.config.condition))
            for path, expression in items:
                problems.extend(_check_condition(expression, path, node.id, None, refs, at))
        if isinstance(node, HTTPNode):
            problems.extend(_check_json_body(node, (*base, "config", "body"), at))
        for ci, condition in enumerate(node.conditions):
            path = (*base, "conditions", ci, "when")
            problems.extend(_check_condition(condition.when, path, node.id, condition.from_, refs, at))
    return problems


def _check_template(text: str, path: Path, node_id: str, refs: FlowReferences, at: Any) -> list[str]:
    try:
        template = parse_template(text)
    except ExpressionError as error:
        # The position counts in this text; in a script it is a part of the block, found by content.
        where = at(path, fragment=text[error.position : error.position + 40] or None)
        return [f"{where}: {_label(path, node_id)}: {error}"]
    problems = []
    for ref in template.references():
        try:
            refs.resolve(ref, node_id)
        except ValueError as error:
            problems.append(f"{at(path, fragment=ref.dotted)}: {_label(path, node_id)}: {error}")
    return problems


def _check_json_body(node: HTTPNode, path: Path, at: Any) -> list[str]:
    """A JSON body must be JSON once its values are in: the node sends it as a structure."""
    body = node.config.body
    content_type = next((v for k, v in node.config.headers.items() if k.lower() == "content-type"), None)
    if not isinstance(body, str) or not looks_like_json(body, content_type):
        return []
    try:
        check_json_template(body)
    except ExpressionError as error:
        return [f"{at(path)}: {_label(path, node.id)}: {error.message}"]
    return []


def _check_condition(
    text: str | bool, path: Path, node_id: str, from_node: str | None, refs: FlowReferences, at: Any
) -> list[str]:
    try:
        condition = parse_condition(text)
    except ExpressionError as error:
        return [f"{at(path)}: {_label(path, node_id)}: {error}"]
    problems = []
    for ref in condition.references():
        if ref.default is not None:
            problems.append(f"{at(path)}: {_label(path, node_id)}: defaults (':-') are not allowed in conditions")
            continue
        try:
            resolved = refs.resolve(ref, node_id, from_node)
        except ValueError as error:
            problems.append(f"{at(path)}: {_label(path, node_id)}: {error}")
            continue
        if resolved.kind in ("env", "flow"):
            problems.append(
                f"{at(path)}: {_label(path, node_id)}: conditions may test event, node outputs and variables, "
                f"not '{ref.dotted}'"
            )
    return problems


def validate_resources(resources: Resources) -> list[str]:
    """Problems across all loaded resources (the loader's own problems are already listed)."""
    problems: list[str] = []
    for name, flow in resources.flows.items():
        problems.extend(check_flow(flow, resources.agents, resources.source("AgentFlow", name)))
    return problems


def unpinned_mcp_warnings(resources: Resources) -> list[str]:
    """``file:line: ...`` for each MCP server a package runner would fetch unpinned.

    A warning, not an error: the tutorial's agents name ``npx -y @modelcontextprotocol/server-kubectl``
    and must load as written. Such a server is never started (the MCP tool refuses it and the
    agent runs with its other tools); pinning an exact version starts it.
    """
    found: list[str] = []
    for name, agent in resources.agents.items():
        doc = resources.source("Agent", name)
        for index, tool in enumerate(agent.spec.tools):
            command = getattr(getattr(tool, "config", None), "command", None)
            reason = unpinned_reason(list(command or [])) if tool.type == "MCP" else None
            if reason:
                path: Path = ("spec", "tools", index, "config", "command")
                where = f"{doc.file}:{doc.line_of(path)}" if doc else f"<{name}>"
                found.append(
                    f"{where}: agent {name}: spec.tools[{index}].config.command: {reason}; "
                    "this MCP server will not be started (pin an exact version to use it)"
                )
    return found
