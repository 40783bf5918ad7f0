"""``aofctl compile FLOW`` (the ASL definition) and ``aofctl graph FLOW`` (Mermaid)."""

from __future__ import annotations

import argparse
import json
import sys

from ..compiler import compile_flow
from ..spec.agent import AgentResource
from ..spec.flow import AgentFlowResource
from ..spec.graph import FlowGraph
from ..spec.models import ConditionalNode, is_approval
from .project import default_paths, load_checked
from .unknown import unknown_name


def _load(args: argparse.Namespace) -> tuple[AgentFlowResource, dict[str, AgentResource]] | None:
    resources = load_checked(args.paths or default_paths())
    for problem in resources.problems:
        print(problem, file=sys.stderr)
    if resources.problems:
        return None
    if args.flow not in resources.flows:
        print(unknown_name("agentflow", args.flow, resources.flows), file=sys.stderr)
        return None
    return resources.flows[args.flow], resources.agents


def _compile(args: argparse.Namespace) -> int:
    loaded = _load(args)
    if loaded is None:
        return 1
    flow, agents = loaded
    print(json.dumps(compile_flow(flow, agents), indent=2, ensure_ascii=False))
    return 0


def _edges(graph: FlowGraph) -> list[tuple[str, str, str | None]]:
    """(from, to, condition) for every edge; the condition in full, as written."""
    edges: list[tuple[str, str, str | None]] = []
    for node_id in graph.nodes:
        for target in graph.successors[node_id]:
            gates = [c for c in graph.nodes[target].conditions if c.from_ == node_id]
            when = gates[0].when if gates else None
            # As written in the YAML: `when: false` reads false, not Python's False.
            edges.append((node_id, target, None if when is None else _as_written(when)))
    return edges


def _as_written(value: object) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def _mermaid_text(text: str) -> str:
    # Inside a quoted Mermaid label a double quote ends it; the entity keeps the expression whole.
    return text.replace('"', "#quot;")


def mermaid(flow: AgentFlowResource) -> str:
    graph = FlowGraph.of(flow)
    lines = ["flowchart TD"]
    for node_id, node in graph.nodes.items():
        label = f"{node_id}<br/><i>{node.type}</i>"
        if isinstance(node, ConditionalNode):
            lines.append(f'    {node_id.replace("-", "_")}{{"{label}"}}')
        elif is_approval(node):
            lines.append(f'    {node_id.replace("-", "_")}[/"⏸ {label}"/]')
        else:
            lines.append(f'    {node_id.replace("-", "_")}["{label}"]')
    for source, target, when in _edges(graph):
        edge = f'|"{_mermaid_text(when)}"|' if when else ""
        lines.append(f"    {source.replace('-', '_')} -->{edge} {target.replace('-', '_')}")
    return "\n".join(lines)


def graph_document(flow: AgentFlowResource) -> dict[str, object]:
    """The flow's graph as data: its nodes and its edges with their full conditions."""
    graph = FlowGraph.of(flow)
    return {
        "flow": getattr(flow, "name", None),
        "nodes": [
            {
                "id": node_id,
                "type": node.type,
                "approval": is_approval(node),
                "decision": isinstance(node, ConditionalNode),
            }
            for node_id, node in graph.nodes.items()
        ],
        "edges": [{"from": a, "to": b, "when": when} for a, b, when in _edges(graph)],
    }


def _graph(args: argparse.Namespace) -> int:
    loaded = _load(args)
    if loaded is None:
        return 1
    if args.output == "json":
        print(json.dumps(graph_document(loaded[0]), indent=2, ensure_ascii=False))
    else:
        print(mermaid(loaded[0]))
    return 0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    for name, handler, text, formats in (
        ("compile", _compile, "print the Step Functions (ASL) definition of a flow", ["json"]),
        ("graph", _graph, "print a flow's graph: a Mermaid flowchart, or -o json", ["mermaid", "json"]),
    ):
        parser = subparsers.add_parser(name, help=text)
        parser.add_argument("flow")
        parser.add_argument("-f", "--file", dest="paths", action="append")
        parser.add_argument("-o", "--output", choices=formats, default=formats[0])
        parser.set_defaults(handler=handler)
