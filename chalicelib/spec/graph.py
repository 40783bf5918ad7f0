"""The node graph of a flow: structure checks and the orderings the compiler needs."""

from __future__ import annotations

from dataclasses import dataclass, field

from .diagnostics import suggest
from .flow import AgentFlowResource
from .nodes import AnyNode
from .yaml_source import SourceDocument


@dataclass
class FlowGraph:
    """Nodes in declaration order, with successor and predecessor lists."""

    nodes: dict[str, AnyNode]
    successors: dict[str, list[str]] = field(default_factory=dict)
    predecessors: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def of(cls, flow: AgentFlowResource) -> FlowGraph:
        graph = cls(nodes={n.id: n for n in flow.spec.nodes})
        for node_id in graph.nodes:
            graph.successors[node_id] = []
            graph.predecessors[node_id] = []
        for connection in flow.spec.connections:
            for target in connection.to:
                if connection.from_ in graph.nodes and target in graph.nodes:
                    if target not in graph.successors[connection.from_]:
                        graph.successors[connection.from_].append(target)
                        graph.predecessors[target].append(connection.from_)
        return graph

    @property
    def entries(self) -> list[str]:
        return [n for n in self.nodes if not self.predecessors[n]]

    def ancestors(self, node_id: str) -> set[str]:
        seen: set[str] = set()
        stack = list(self.predecessors.get(node_id, []))
        while stack:
            current = stack.pop()
            if current not in seen:
                seen.add(current)
                stack.extend(self.predecessors[current])
        return seen

    def descendants(self, node_id: str) -> set[str]:
        seen: set[str] = set()
        stack = list(self.successors.get(node_id, []))
        while stack:
            current = stack.pop()
            if current not in seen:
                seen.add(current)
                stack.extend(self.successors[current])
        return seen

    def find_cycle(self) -> list[str] | None:
        """A cycle as a list of node ids (first repeated at the end), or None."""
        white, grey, black = 0, 1, 2
        colour = dict.fromkeys(self.nodes, white)
        trail: list[str] = []

        def visit(node: str) -> list[str] | None:
            colour[node] = grey
            trail.append(node)
            for nxt in self.successors[node]:
                if colour[nxt] == grey:
                    return [*trail[trail.index(nxt) :], nxt]
                if colour[nxt] == white and (found := visit(nxt)):
                    return found
            trail.pop()
            colour[node] = black
            return None

        for node in self.nodes:
            if colour[node] == white and (found := visit(node)):
                return found
        return None

    def topological_order(self) -> list[str]:
        """Kahn's algorithm, ties broken by declaration order (assumes no cycle)."""
        order_index = {n: i for i, n in enumerate(self.nodes)}
        remaining = {n: len(self.predecessors[n]) for n in self.nodes}
        ready = sorted((n for n, c in remaining.items() if c == 0), key=order_index.__getitem__)
        order: list[str] = []
        while ready:
            node = ready.pop(0)
            order.append(node)
            for nxt in self.successors[node]:
                remaining[nxt] -= 1
                if remaining[nxt] == 0:
                    ready.append(nxt)
                    ready.sort(key=order_index.__getitem__)
        return order


def check_graph(flow: AgentFlowResource, doc: SourceDocument | None) -> list[str]:
    """Structural problems: unknown node names, duplicates, cycles, entry and reachability."""

    def at(path: tuple[str | int, ...]) -> str:
        if doc is None:
            return f"<{flow.name}>"
        return f"{doc.file}:{doc.line_of(path)}"

    problems: list[str] = []
    ids = [n.id for n in flow.spec.nodes]
    seen: dict[str, int] = {}
    for index, node_id in enumerate(ids):
        if node_id in seen:
            problems.append(
                f"{at(('spec', 'nodes', index, 'id'))}: spec.nodes[{index}].id: duplicate node id "
                f"'{node_id}' (first used by spec.nodes[{seen[node_id]}])"
            )
        else:
            seen[node_id] = index
    keys: dict[str, str] = {}
    for index, node_id in enumerate(ids):
        key = node_id.replace("-", "_")
        if key in keys and keys[key] != node_id:
            problems.append(
                f"{at(('spec', 'nodes', index, 'id'))}: spec.nodes[{index}].id: '{node_id}' and '{keys[key]}' "
                f"differ only by '-'/'_', which name the same record in the execution state"
            )
        keys.setdefault(key, node_id)
    reserved = {"event", "flow", "vars", "nodes", "env"}
    for index, node_id in enumerate(ids):
        if node_id in reserved:
            problems.append(
                f"{at(('spec', 'nodes', index, 'id'))}: spec.nodes[{index}].id: '{node_id}' is reserved "
                f"for expressions (${{{node_id}.…}}); choose another id"
            )

    def unknown(name: str, path: tuple[str | int, ...], label: str) -> None:
        hint = suggest(name, ids)
        message = f"{at(path)}: {label}: unknown node '{name}'"
        message += f" (did you mean '{hint}'?)" if hint else ""
        problems.append(message)

    for ci, connection in enumerate(flow.spec.connections):
        if connection.from_ not in seen:
            unknown(connection.from_, ("spec", "connections", ci, "from"), f"spec.connections[{ci}].from")
        for ti, target in enumerate(connection.to):
            if target not in seen:
                unknown(target, ("spec", "connections", ci, "to", ti), f"spec.connections[{ci}].to")
            if target == connection.from_:
                problems.append(
                    f"{at(('spec', 'connections', ci))}: spec.connections[{ci}]: node '{target}' connects to itself"
                )

    graph = FlowGraph.of(flow)
    for ni, node in enumerate(flow.spec.nodes):
        for ki, condition in enumerate(node.conditions):
            path = ("spec", "nodes", ni, "conditions", ki, "from")
            label = f"spec.nodes[{node.id}].conditions[{ki}].from"
            if condition.from_ not in seen:
                unknown(condition.from_, path, label)
            elif condition.from_ not in graph.ancestors(node.id):
                problems.append(
                    f"{at(path)}: {label}: '{condition.from_}' does not lead to '{node.id}'; a condition can "
                    f"only test a node that runs before it"
                )

    cycle = graph.find_cycle()
    if cycle:
        problems.append(f"{at(('spec', 'connections'))}: spec.connections: cycle {' -> '.join(cycle)}")
        return problems
    entries = graph.entries
    if len(entries) > 1:
        problems.append(
            f"{at(('spec', 'nodes'))}: spec.nodes: the flow must start at exactly one node, but "
            f"{', '.join(entries)} have no incoming connection (connect them or remove them)"
        )
    elif entries:
        reachable = {entries[0], *graph.descendants(entries[0])}
        for index, node_id in enumerate(ids):
            if node_id not in reachable:
                problems.append(f"{at(('spec', 'nodes', index))}: spec.nodes[{node_id}]: unreachable node")
    return problems
