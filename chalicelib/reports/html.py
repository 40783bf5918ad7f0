"""One self-contained HTML page: the timeline and the flow graph drawn as inline SVG, the path
the run took highlighted. No script, font or stylesheet is fetched: it renders offline."""

from __future__ import annotations

import textwrap
from html import escape

from ..spec import FlowGraph
from ..store import RunRecord
from .summary import parse_time
from .timeline import TimelineEntry, node_key

COLOURS = {
    "alert": "#d93025",
    "diagnosis": "#1a73e8",
    "approval": "#f9ab00",
    "change": "#9334e6",
    "verification": "#188038",
    "rollback": "#e8710a",
    "failure": "#a50e0e",
    "takeover": "#5f6368",
    "resolution": "#137333",
    "step": "#80868b",
}
NODE_W, NODE_H, GAP_X, GAP_Y = 170, 36, 40, 34

STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px;color:#202124}
h1{font-size:22px}h2{font-size:18px;margin-top:28px}
.meta td{padding:2px 12px 2px 0}.entry{margin:6px 0}.entry small{color:#5f6368}
ul.details{margin:2px 0 8px 18px;font-size:13px}
svg text{font-family:system-ui,sans-serif}
pre{white-space:pre-wrap;background:#f8f9fa;padding:12px;border-radius:6px}
"""


#: Rough width of one character of the 13px label font, to wrap labels inside the picture.
CHAR_PX = 7.2
LINE_PX = 16


def _wrapped(text: str, room_px: float) -> list[str]:
    """``text`` in lines that fit ``room_px``: whole, never cut (a word longer than a line is split)."""
    return textwrap.wrap(text, width=max(12, int(room_px / CHAR_PX)), break_on_hyphens=False) or [""]


def _tspans(lines: list[str], x: float) -> str:
    return "".join(
        f'<tspan x="{x:.1f}" dy="{0 if i == 0 else LINE_PX}">{escape(line)}</tspan>' for i, line in enumerate(lines)
    )


def _timeline_svg(timeline: list[TimelineEntry]) -> str:
    width, gap = 960, 18
    times = [parse_time(e.at) for e in timeline]
    known = [t for t in times if t is not None]
    start = min(known) if known else None
    span = max(((max(known) - start).total_seconds() if start else 0.0), 0.001)
    placed: list[tuple[TimelineEntry, float, float, list[str]]] = []
    for entry, at in zip(timeline, times, strict=True):
        offset = (at - start).total_seconds() if at and start else 0.0
        x = 200 + 300 * offset / span
        placed.append((entry, offset, x, _wrapped(entry.title, width - x - 24)))
    height = 30 + sum(gap + LINE_PX * len(lines) for *_rest, lines in placed)
    parts = [f'<svg id="timeline" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img">']
    parts.append(f'<line x1="200" y1="20" x2="200" y2="{height - 10}" stroke="#dadce0" stroke-width="2"/>')
    y = 30.0
    for entry, offset, x, lines in placed:
        colour = COLOURS.get(entry.kind, "#80868b")
        parts.append(f'<text x="190" y="{y + 4:.0f}" text-anchor="end" font-size="12">+{offset:.1f}s</text>')
        parts.append(f'<line x1="200" y1="{y:.0f}" x2="{x:.1f}" y2="{y:.0f}" stroke="{colour}" stroke-opacity="0.4"/>')
        parts.append(f'<circle class="tl-{entry.kind}" cx="{x:.1f}" cy="{y:.0f}" r="7" fill="{colour}"/>')
        parts.append(f'<text y="{y + 4:.0f}" font-size="13">{_tspans(lines, x + 14)}</text>')
        y += gap + LINE_PX * len(lines)
    parts.append("</svg>")
    return "".join(parts)


def _layers(graph: FlowGraph) -> dict[str, int]:
    depth: dict[str, int] = {}
    for node in graph.topological_order():
        preds = graph.predecessors.get(node, [])
        depth[node] = 1 + max((depth[p] for p in preds if p in depth), default=-1)
    return depth


def _graph_svg(graph: FlowGraph, taken: set[str]) -> str:
    depth = _layers(graph)
    columns: dict[int, list[str]] = {}
    for node_id in graph.nodes:
        columns.setdefault(depth.get(node_id, 0), []).append(node_id)
    position: dict[str, tuple[float, float]] = {}
    widest = max(len(v) for v in columns.values()) if columns else 1
    width = 40 + widest * (NODE_W + GAP_X)
    for level, names in columns.items():
        offset = (width - len(names) * (NODE_W + GAP_X) + GAP_X) / 2
        for i, member in enumerate(names):
            position[member] = (offset + i * (NODE_W + GAP_X), 20 + level * (NODE_H + GAP_Y))
    height = 40 + (max(columns) + 1 if columns else 1) * (NODE_H + GAP_Y)
    parts = [
        f'<svg id="flow-graph" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img">',
        '<defs><marker id="arrow" markerWidth="8" markerHeight="8" refX="7" refY="4" orient="auto">'
        '<path d="M0,0 L8,4 L0,8 z" fill="#9aa0a6"/></marker></defs>',
    ]
    for source, targets in graph.successors.items():
        for target in targets:
            (x1, y1), (x2, y2) = position[source], position[target]
            on_path = node_key(source) in taken and node_key(target) in taken
            colour, size = ("#188038", 3) if on_path else ("#9aa0a6", 1.5)
            parts.append(
                f'<line x1="{x1 + NODE_W / 2:.1f}" y1="{y1 + NODE_H:.1f}" x2="{x2 + NODE_W / 2:.1f}" y2="{y2:.1f}" '
                f'stroke="{colour}" stroke-width="{size}" marker-end="url(#arrow)"/>'
            )
    for name, node in graph.nodes.items():
        x, y = position[name]
        on_path = node_key(name) in taken
        fill, stroke, css = ("#e6f4ea", "#188038", "node taken") if on_path else ("#f1f3f4", "#bdc1c6", "node skipped")
        parts.append(
            f'<g class="{css}" data-node="{escape(name)}"><rect x="{x:.1f}" y="{y:.1f}" width="{NODE_W}" '
            f'height="{NODE_H}" rx="6" fill="{fill}" stroke="{stroke}" stroke-width="{2 if on_path else 1}"/>'
            f'<text x="{x + NODE_W / 2:.1f}" y="{y + 15:.1f}" text-anchor="middle" font-size="12">{escape(name)}</text>'
            f'<text x="{x + NODE_W / 2:.1f}" y="{y + 29:.1f}" text-anchor="middle" font-size="10" fill="#5f6368">'
            f"{escape(node.type)}</text></g>"
        )
    parts.append("</svg>")
    return "".join(parts)


def postmortem_html(
    run: RunRecord,
    timeline: list[TimelineEntry],
    graph: FlowGraph | None,
    taken: set[str],
    narrative: str | None = None,
    console_url: str | None = None,
) -> str:
    title = escape(f"Postmortem: {run.incident_id or run.run_id} {run.title}".strip())
    meta = [
        ("Flow", run.flow),
        ("Run", run.run_id),
        ("Outcome", run.outcome or run.status),
        ("Severity", run.severity or "unknown"),
        ("Started", run.started_at),
        ("Ended", run.ended_at or "still running"),
    ]
    rows = "".join(f"<tr><td><b>{escape(k)}</b></td><td>{escape(str(v))}</td></tr>" for k, v in meta)
    if console_url:
        rows += f'<tr><td><b>Step Functions</b></td><td><a href="{escape(console_url)}">console</a></td></tr>'
    entries = []
    for entry in timeline:
        details = "".join(f"<li>{escape(d)}</li>" for d in entry.details)
        node = f" <small>{escape(entry.node_id)}</small>" if entry.node_id else ""
        entries.append(
            f'<div class="entry kind-{entry.kind}"><small>{escape(entry.at)}</small> '
            f'<b>{escape(entry.title)}</b>{node}<ul class="details">{details}</ul></div>'
        )
    graph_part = _graph_svg(graph, taken) if graph is not None else "<p>The flow definition is not available.</p>"
    narrative_part = f"<h2>Analysis</h2><pre>{escape(narrative)}</pre>" if narrative else ""
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{title}</title><style>{STYLE}</style></head><body>"
        f'<h1>{title}</h1><table class="meta">{rows}</table>'
        f"<h2>Timeline</h2>{_timeline_svg(timeline)}{''.join(entries)}"
        f"<h2>Flow graph (path taken in green)</h2>{graph_part}"
        f"{narrative_part}</body></html>\n"
    )
