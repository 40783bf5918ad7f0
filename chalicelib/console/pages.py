"""The console's HTML. Every value from incident data goes through :func:`e` (HTML escaping,
quotes included); the only markup not built here is the graph and charts, which escape their
own text. Pages load one script and one stylesheet from the app itself; the Content Security
Policy the server sends forbids anything else."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime
from html import escape
from typing import Any
from urllib.parse import quote, urlencode

from ..reports.summary import parse_time
from ..store import ApprovalRecord, RunEvent
from ..store.records import RUN_STATUSES
from . import charts, graph
from .data import FlowView, RunsPage, RunView
from .status import LABELS, STATUSES

MAX_TEXT = 4000


def e(value: Any) -> str:
    return escape("" if value is None else str(value), quote=True)


def _json(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, indent=2, ensure_ascii=False, default=str)
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…"


def run_href(run_id: str) -> str:
    return "/console/runs/" + quote(run_id, safe="")


def flow_href(flow: str) -> str:
    return "/console/flows/" + quote(flow, safe="")


def layout(title: str, user: str, form_token: str, body: str, flows: Iterable[str] = ()) -> str:
    nav = "".join(f'<a href="{e(flow_href(f))}">{e(f)}</a>' for f in flows)
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        f"<title>{e(title)} · AOF console</title>"
        f'<meta name="console-form-token" content="{e(form_token)}">'
        '<link rel="stylesheet" href="/console/static/console.css">'
        '<script src="/console/static/console.js" defer></script></head><body>'
        f'<header><a class="brand" href="/console/">AOF console</a><nav><a href="/console/">Runs</a>{nav}</nav>'
        f'<span class="who">signed in as <b id="who">{e(user)}</b></span></header>'
        f"<main>{body}</main></body></html>"
    )


def _when(value: str | None) -> str:
    return (value or "-").replace("T", " ")[:19]


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}s"


def _duration(started: str, ended: str | None) -> str:
    start, end = parse_time(started), parse_time(ended) if ended else None
    if start is None:
        return "-"
    return _seconds(((end or datetime.now(UTC)) - start).total_seconds()) + ("" if end else " so far")


# -- runs list ----------------------------------------------------------------------------------


def runs_page(page: RunsPage) -> str:
    flow_options = '<option value="">all flows</option>' + "".join(
        f'<option value="{e(f)}"{" selected" if f == page.flow else ""}>{e(f)}</option>' for f in page.flows
    )
    status_options = '<option value="">any status</option>' + "".join(
        f'<option value="{e(s)}"{" selected" if s == page.status else ""}>{e(s)}</option>' for s in RUN_STATUSES
    )
    rows = "".join(
        f'<tr class="run" data-run="{e(r.run_id)}" data-status="{e(r.status)}">'
        f'<td><a href="{e(run_href(r.run_id))}">{e(r.run_id)}</a></td>'
        f'<td><span class="badge {e(r.status)}">{e(r.status)}</span></td>'
        f"<td>{e(r.incident_id or '-')}<div class=title>{e(r.title)}</div></td>"
        f'<td><a href="{e(flow_href(r.flow))}">{e(r.flow)}</a></td>'
        f"<td>{e(_when(r.started_at))}</td><td>{e(_duration(r.started_at, r.ended_at))}</td>"
        f"<td>{e(r.outcome or '-')}</td></tr>"
        for r in page.runs
    )

    def link(n: int, text: str) -> str:
        query = {k: v for k, v in (("flow", page.flow), ("status", page.status), ("page", str(n))) if v}
        return f'<a class="page" href="/console/?{e(urlencode(query))}">{e(text)}</a>'

    pager = (
        (link(page.page - 1, "← newer") if page.page > 1 else "")
        + f'<span class="pageno">page {page.page} of {page.pages} ({page.total} runs)</span>'
        + (link(page.page + 1, "older →") if page.page < page.pages else "")
    )
    return (
        '<h1>Runs</h1><form class="filters" method="get" action="/console/">'
        f'<label>Flow <select name="flow">{flow_options}</select></label>'
        f'<label>Status <select name="status">{status_options}</select></label>'
        '<button type="submit">Filter</button></form>'
        '<table class="runs"><thead><tr><th>Run</th><th>Status</th><th>Incident</th><th>Flow</th>'
        "<th>Started</th><th>Duration</th><th>Outcome</th></tr></thead>"
        f'<tbody>{rows or "<tr><td colspan=7>No runs.</td></tr>"}</tbody></table><div class="pager">{pager}</div>'
    )


# -- one run -----------------------------------------------------------------------------------


def run_page(view: RunView, postmortem: str) -> str:
    run = view.run
    legend = "".join(f'<span class="key" data-status="{s}">{e(LABELS[s])}</span>' for s in STATUSES)
    drawing = (
        graph.svg(view.definition, {n: s.status for n, s in view.states.items()})
        if view.definition
        else '<p class="empty">This flow is not loaded by this server: no definition to draw.</p>'
    )
    links = "".join(
        f'<li><a href="{e(link.url)}" rel="noopener noreferrer" target="_blank">{e(link.label)}</a></li>'
        for link in view.links
    )
    return (
        f'<div id="run" data-run="{e(run.run_id)}" data-live="{e(run_href(run.run_id))}/live">'
        f'<h1>Run {e(run.run_id)} <span id="run-status" class="badge {e(run.status)}">{e(run.status)}</span></h1>'
        f'<p class="meta">Flow <a href="{e(flow_href(run.flow))}">{e(run.flow)}</a> · incident '
        f"{e(run.incident_id or '-')} <span class=title>{e(run.title)}</span> · started {e(_when(run.started_at))} · "
        f'<span id="run-duration">{e(_duration(run.started_at, run.ended_at))}</span> · outcome '
        f'<span id="run-outcome">{e(run.outcome or "-")}</span></p>'
        f'<ul class="links">{links}<li><a href="{e(run_href(run.run_id))}/postmortem">Postmortem (page)</a></li></ul>'
        '<p id="decision-message" role="status"></p>'
        '<div class="columns"><section class="graph-panel"><h2>Definition</h2>'
        f'<div class="legend">{legend}</div><div class="graph">{drawing}</div>'
        '<section id="state-detail" hidden><h3 id="state-name"></h3><p id="state-status"></p>'
        '<h4>Input</h4><pre id="state-input"></pre><h4>Output</h4><pre id="state-output"></pre>'
        '<h4>Error</h4><pre id="state-error"></pre><p id="state-attempts"></p></section></section>'
        f'<div id="panels">{panels(view, postmortem)}</div></div></div>'
    )


def panels(view: RunView, postmortem: str) -> str:
    """Everything beside the graph; the page fetches it again when the run records something."""
    return (
        _approvals(view.approvals)
        + _section("Timeline", _timeline(view))
        + _section("Tool calls", _tool_calls(view.tool_calls))
        + _section("Policy decisions", _policy(view.policy))
        + _section("Changes", _changes(view.changes, view.run.run_id))
        + _section("Events", _events(view.events))
        + _section("Postmortem", f'<pre class="postmortem">{e(postmortem)}</pre>')
    )


def _section(title: str, body: str) -> str:
    return f'<section class="panel"><h2>{e(title)}</h2>{body}</section>'


def _approvals(approvals: list[ApprovalRecord]) -> str:
    if not approvals:
        return ""
    items = []
    now = int(datetime.now(UTC).timestamp())
    for a in approvals:
        expires = datetime.fromtimestamp(a.expires_at, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        waiting = a.status == "pending" and a.expires_at > now
        state = (
            "waiting for a decision"
            if waiting
            else (
                "expired"
                if a.status == "pending"
                else f"{a.status} by {a.decided_by or a.cancel_reason or '-'} at {_when(a.decided_at)}"
            )
        )
        buttons = (
            f'<form class="approval" data-action="{e(run_href(a.run_id))}/approvals/{e(quote(a.approval_id, safe=""))}">'
            '<button type="submit" name="decision" value="approve" class="approve">Approve</button>'
            '<button type="submit" name="decision" value="pause" class="pause">Pause</button>'
            '<button type="submit" name="decision" value="skip" class="skip">Skip</button></form>'
            '<p class="approval-result" role="status"></p>'
            if waiting
            else ""
        )
        actions = a.plan.get("proposed_actions") or {}
        plan_lines = "".join(f"<li><b>{e(node)}</b>: <code>{e(action)}</code></li>" for node, action in actions.items())
        items.append(
            f'<div class="approval-card" data-approval="{e(a.approval_id)}" data-approval-status="{e(a.status)}">'
            f"<h3>{e(a.node_id)}: {e(state)}</h3>"
            f"<p>Approvers: {e(', '.join(a.approvers) or 'anyone (no approver list)')} · requested by "
            f"{e(a.requested_by or '-')} · expires {e(expires)}</p>"
            f'<p>Plan hash <code class="plan-hash">{e(a.plan_hash)}</code></p>'
            f"<ul>{plan_lines}</ul><details><summary>The exact plan</summary>"
            f'<pre class="plan">{e(json.dumps(a.plan, indent=2, sort_keys=True, ensure_ascii=False))}</pre></details>'
            f"{buttons}</div>"
        )
    return _section("Approvals", "".join(items))


def _timeline(view: RunView) -> str:
    if not view.timeline:
        return '<p class="empty">Nothing recorded yet.</p>'
    rows = []
    for entry in view.timeline:
        details = "".join(f"<li>{e(line)}</li>" for line in entry.details)
        rows.append(
            f'<li class="tl {e(entry.kind)}"><time>{e(_when(entry.at))}</time> <b>{e(entry.title)}</b>'
            + (f" <code>{e(entry.node_id)}</code>" if entry.node_id else "")
            + (f"<ul>{details}</ul>" if details else "")
            + "</li>"
        )
    return f'<ol class="timeline">{"".join(rows)}</ol>'


def _tool_calls(calls: list[dict[str, Any]]) -> str:
    if not calls:
        return '<p class="empty">No tool calls.</p>'
    rows = []
    for call in calls:
        raw = call.get("input") or {}
        command = raw.get("command") if isinstance(raw, dict) and raw.get("command") else _json(raw)
        ok = "refused" if call.get("refused") else ("ok" if call.get("ok") else "error")
        output = call.get("output_summary") or call.get("output") or call.get("error")
        rows.append(
            f'<details class="tool {ok}"><summary><code>{e(call.get("node"))}</code> [{e(call.get("name"))}] '
            f"<code>{e(command)}</code> ({e(call.get('action_kind') or 'read')}, {ok})</summary>"
            f"<pre>{e(_json(output if output is not None else ''))}</pre></details>"
        )
    return "".join(rows)


def _policy(events: list[RunEvent]) -> str:
    if not events:
        return '<p class="empty">No policy decisions.</p>'
    rows = "".join(
        f'<tr class="{e(ev.type)}"><td>{e(_when(ev.at))}</td><td>{e(ev.node_id)}</td>'
        f"<td>{'allowed' if ev.type == 'PolicyAllowed' else 'refused'}</td>"
        f"<td><code>{e(ev.details.get('action'))}</code></td>"
        f"<td>{e(ev.details.get('reason') or ev.details.get('why') or '')}</td></tr>"
        for ev in events
    )
    return f'<table class="policy"><tr><th>At</th><th>Node</th><th>Decision</th><th>Action</th><th>Why</th></tr>{rows}</table>'


def _changes(events: list[RunEvent], run_id: str) -> str:
    if not events:
        return '<p class="empty">No changes.</p>'
    rows = []
    for ev in events:
        kind = {
            "ChangeSnapshot": "snapshot",
            "ChangeMonitored": "applied and watched",
            "ChangeRolledBack": "rolled back",
        }[ev.type]
        ref = ev.details.get("ref")
        snapshot = (
            f' <a class="snapshot" href="{e(run_href(run_id))}/artifact?{e(urlencode({"ref": ref}))}">snapshot</a>'
            if isinstance(ref, str) and ref.startswith(f"artifact://{run_id}/")
            else ""
        )
        rows.append(
            f'<details class="change {e(ev.type)}"><summary>{e(_when(ev.at))} <code>{e(ev.node_id)}</code> '
            f"{e(kind)}: <code>{e(ev.details.get('change'))}</code>{snapshot}</summary>"
            f"<pre>{e(_json(ev.details))}</pre></details>"
        )
    return "".join(rows)


def _events(events: list[RunEvent]) -> str:
    rows = "".join(
        f"<tr><td>{ev.seq}</td><td>{e(_when(ev.at))}</td><td>{e(ev.type)}</td><td>{e(ev.node_id or '')}</td>"
        f"<td><details><summary>details</summary><pre>{e(_json(ev.details))}</pre></details></td></tr>"
        for ev in events
    )
    return f'<table class="events"><tr><th>#</th><th>At</th><th>Event</th><th>Node</th><th></th></tr>{rows}</table>'


# -- a flow -------------------------------------------------------------------------------------


def flow_page(flow: str, view: FlowView) -> str:
    s = view.summary
    rate = "n/a" if s.success_rate is None else f"{s.success_rate * 100:.1f}%"
    figures = (
        f'<dl class="figures"><dt>Runs</dt><dd id="fig-runs">{s.runs}</dd>'
        f'<dt>Finished</dt><dd>{s.finished}</dd><dt>Success rate</dt><dd id="fig-success">{e(rate)}</dd>'
        f"<dt>Escalated</dt><dd>{s.escalated}</dd><dt>Failed</dt><dd>{s.failed}</dd>"
        f'<dt>MTTR p50</dt><dd id="fig-p50">{e(_seconds(s.mttr_p50))}</dd>'
        f'<dt>MTTR p90</dt><dd id="fig-p90">{e(_seconds(s.mttr_p90))}</dd>'
        f"<dt>Approvals</dt><dd>{s.approvals}</dd></dl>"
    )
    days = [d for d, *_ in view.mttr_by_day]
    mttr = charts.lines(
        "MTTR by day",
        days,
        {"p50": [p for _, p, _, _ in view.mttr_by_day], "p90": [p for _, _, p, _ in view.mttr_by_day]},
    )
    rate_chart = charts.columns(
        "Success rate by day", [d for d, _, _ in view.rate_by_day], [r * 100 for _, r, _ in view.rate_by_day]
    )
    nodes = sorted(s.node_durations.items(), key=lambda item: -item[1]["p50"])
    durations = charts.bars("Node durations", [(n, f["p50"], f["max"]) for n, f in nodes])
    return (
        f'<h1>Flow {e(flow)}</h1><p><a href="/console/?{e(urlencode({"flow": flow}))}">Its runs</a></p>{figures}'
        f'<section class="panel"><h2>Success rate by day</h2>{rate_chart}</section>'
        f'<section class="panel"><h2>MTTR p50 / p90 by day (resolved runs)</h2>{mttr}</section>'
        f'<section class="panel"><h2>Node durations (p50 bar, max line)</h2>{durations}</section>'
    )


def message_page(title: str, text: str) -> str:
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        f"<title>{e(title)}</title></head><body><h1>{e(title)}</h1><p>{e(text)}</p></body></html>"
    )
