"""``aofctl compile FLOW`` (the ASL definition) and ``aofctl graph FLOW`` (Mermaid)."""

from __future__ import annotations

import argparse
import json
import sys

from ..compiler import compile_flow
from ..spec.graph import FlowGraph
from ..spec.models import ConditionalNode, is_approval
from .resources_cmd import default_paths, load_checked


def _load(args: argparse.Namespace) -> tuple[object, dict[str, object]] | None:
    resources = load_checked(args.paths or default_paths())
    for problem in resources.problems:
        print(problem, file=sys.stderr)
    if resources.problems:
        return None
    if args.flow not in resources.flows:
        print(f"error: no flow named {args.flow!r}; known: {', '.join(resources.flows)}", file=sys.stderr)
        return None
    return resources.flows[args.flow], resources.agents  # type: ignore[return-value]


def _compile(args: argparse.Namespace) -> int:
    loaded = _load(args)
    if loaded is None:
        return 1
    flow, agents = loaded
    print(json.dumps(compile_flow(flow, agents), indent=2, ensure_ascii=False))  # type: ignore[arg-type]
    return 0


def mermaid(flow: object) -> str:
    graph = FlowGraph.of(flow)  # type: ignore[arg-type]
    lines = ["flowchart TD"]
    for node_id, node in graph.nodes.items():
        label = f"{node_id}<br/><i>{node.type}</i>"
        if isinstance(node, ConditionalNode):
            lines.append(f'    {node_id.replace("-", "_")}{{"{label}"}}')
        elif is_approval(node):
            lines.append(f'    {node_id.replace("-", "_")}[/"⏸ {label}"/]')
        else:
            lines.append(f'    {node_id.replace("-", "_")}["{label}"]')
    for node_id in graph.nodes:
        for target in graph.successors[node_id]:
            gates = [c for c in graph.nodes[target].conditions if c.from_ == node_id]
            edge = f"|{str(gates[0].when)[:40]}|" if gates else ""
            lines.append(f"    {node_id.replace('-', '_')} -->{edge} {target.replace('-', '_')}")
    return "\n".join(lines)


def _graph(args: argparse.Namespace) -> int:
    loaded = _load(args)
    if loaded is None:
        return 1
    print(mermaid(loaded[0]))
    return 0


def add_parsers(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    for name, handler, text in (
        ("compile", _compile, "print the Step Functions (ASL) definition of a flow"),
        ("graph", _graph, "print a Mermaid flowchart of a flow"),
    ):
        parser = subparsers.add_parser(name, help=text)
        parser.add_argument("flow")
        parser.add_argument("-f", "--file", dest="paths", action="append")
        parser.add_argument("-o", "--output", choices=["json"], default="json")
        parser.set_defaults(handler=handler)
