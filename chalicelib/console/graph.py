"""The compiled ASL definition drawn as an SVG graph, laid out in layers like the Step
Functions console: each state a box (its status in ``data-status``, so the page recolours it
live), each transition an arrow, Catch transitions dashed. Drawn here from the definition, so
the page needs no script library and works offline."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from typing import Any

BOX_W, BOX_H = 188, 34
GAP_X, GAP_Y = 28, 46
MARGIN = 16
MAX_LABEL = 26


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    kind: str  # "next", "choice", "catch"


@dataclass
class Layout:
    positions: dict[str, tuple[int, int]]
    edges: list[Edge]
    types: dict[str, str]
    width: int
    height: int


def edges_of(definition: dict[str, Any]) -> list[Edge]:
    """Every transition of the top-level states (a Parallel's branches stay inside its box)."""
    found: list[Edge] = []
    for name, state in (definition.get("States") or {}).items():
        if not isinstance(state, dict):
            continue
        if state.get("Next"):
            found.append(Edge(name, str(state["Next"]), "next"))
        for choice in state.get("Choices") or []:
            if isinstance(choice, dict) and choice.get("Next"):
                found.append(Edge(name, str(choice["Next"]), "choice"))
        if state.get("Default"):
            found.append(Edge(name, str(state["Default"]), "choice"))
        for catcher in state.get("Catch") or []:
            if isinstance(catcher, dict) and catcher.get("Next"):
                found.append(Edge(name, str(catcher["Next"]), "catch"))
    states = definition.get("States") or {}
    return [e for e in dict.fromkeys(found) if e.target in states]


def _order(definition: dict[str, Any], edges: list[Edge]) -> tuple[list[str], set[Edge]]:
    """States in depth-first order from StartAt (normal paths before error paths), and the
    edges that go back up (loops), which layering ignores."""
    states = list((definition.get("States") or {}).keys())
    out: dict[str, list[Edge]] = {name: [] for name in states}
    for edge in sorted(edges, key=lambda e: e.kind == "catch"):
        out[edge.source].append(edge)
    seen: set[str] = set()
    active: set[str] = set()
    order: list[str] = []
    back: set[Edge] = set()

    def visit(name: str) -> None:
        # Recursive: the depth is the longest path of the flow, far below Python's limit.
        seen.add(name)
        active.add(name)
        order.append(name)
        for edge in out[name]:
            if edge.target in active:
                back.add(edge)
            elif edge.target not in seen:
                visit(edge.target)
        active.discard(name)

    start = str(definition.get("StartAt") or (states[0] if states else ""))
    if start in out:
        visit(start)
    for name in states:  # unreachable states are still drawn
        if name not in seen:
            visit(name)
    return order, back


def layout(definition: dict[str, Any]) -> Layout:
    edges = edges_of(definition)
    order, back = _order(definition, edges)
    layer = dict.fromkeys(order, 0)
    forward = [e for e in edges if e not in back]
    # Longest path from the start: a state sits below everything that leads to it.
    for _ in range(len(order)):
        changed = False
        for edge in forward:
            if layer[edge.target] < layer[edge.source] + 1:
                layer[edge.target] = layer[edge.source] + 1
                changed = True
        if not changed:
            break
    rows: dict[int, list[str]] = {}
    for name in order:
        rows.setdefault(layer[name], []).append(name)
    widest = max((len(r) for r in rows.values()), default=1)
    width = MARGIN * 2 + widest * BOX_W + (widest - 1) * GAP_X
    positions: dict[str, tuple[int, int]] = {}
    for index, names in sorted(rows.items()):
        row_w = len(names) * BOX_W + (len(names) - 1) * GAP_X
        x0 = (width - row_w) // 2
        for i, name in enumerate(names):
            positions[name] = (x0 + i * (BOX_W + GAP_X), MARGIN + index * (BOX_H + GAP_Y))
    height = MARGIN * 2 + len(rows) * BOX_H + max(0, len(rows) - 1) * GAP_Y
    types = {n: str((s or {}).get("Type", "")) for n, s in (definition.get("States") or {}).items()}
    return Layout(positions, edges, types, width, height)


def _label(name: str) -> str:
    return name if len(name) <= MAX_LABEL else name[: MAX_LABEL - 1] + "…"


def _path(layout: Layout, edge: Edge) -> str:
    sx, sy = layout.positions[edge.source]
    tx, ty = layout.positions[edge.target]
    x1, y1 = sx + BOX_W / 2, float(sy + BOX_H)
    x2, y2 = tx + BOX_W / 2, float(ty)
    if ty <= sy:  # a loop back up: leave by the right side and come round
        x1, y1 = sx + BOX_W, sy + BOX_H / 2
        x2, y2 = tx + BOX_W, ty + BOX_H / 2
        bend = max(x1, x2) + GAP_X
        return f"M{x1:.0f},{y1:.0f} C{bend:.0f},{y1:.0f} {bend:.0f},{y2:.0f} {x2:.0f},{y2:.0f}"
    mid = (y1 + y2) / 2
    return f"M{x1:.0f},{y1:.0f} C{x1:.0f},{mid:.0f} {x2:.0f},{mid:.0f} {x2:.0f},{y2 - 2:.0f}"


def svg(definition: dict[str, Any], statuses: dict[str, str] | None = None) -> str:
    """The graph as an inline ``<svg>``; every name is escaped (state names come from YAML)."""
    drawn = layout(definition)
    statuses = statuses or {}
    parts = [
        f'<svg id="graph" xmlns="http://www.w3.org/2000/svg" width="{drawn.width}" height="{drawn.height}" '
        f'viewBox="0 0 {drawn.width} {drawn.height}" role="img" aria-label="state machine">',
        '<defs><marker id="arrow" viewBox="0 0 8 8" refX="7" refY="4" markerWidth="7" markerHeight="7" '
        'orient="auto-start-reverse"><path d="M0,0 L8,4 L0,8 z" class="arrowhead"/></marker></defs>',
    ]
    for edge in drawn.edges:
        parts.append(
            f'<path class="edge {edge.kind}" d="{_path(drawn, edge)}" marker-end="url(#arrow)" '
            f'data-from="{escape(edge.source)}" data-to="{escape(edge.target)}"/>'
        )
    for name, (x, y) in drawn.positions.items():
        status = statuses.get(name, "not-started")
        kind = drawn.types.get(name, "")
        radius = 17 if kind in ("Choice", "Pass", "Succeed", "Fail") else 4
        parts.append(
            f'<g class="state" tabindex="0" data-state="{escape(name)}" data-type="{escape(kind)}" '
            f'data-status="{escape(status)}"><title>{escape(name)} ({escape(kind)})</title>'
            f'<rect x="{x}" y="{y}" width="{BOX_W}" height="{BOX_H}" rx="{radius}"/>'
            f'<text x="{x + BOX_W / 2:.0f}" y="{y + BOX_H / 2 + 4:.0f}">{escape(_label(name))}</text></g>'
        )
    parts.append("</svg>")
    return "".join(parts)
