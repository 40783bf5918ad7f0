"""``aofctl describe agentflow``, ``logs``, ``get runs``, ``report``: what happened, read from
the run store and the runtime's history, on the embedded default or (``AOF_BACKEND=aws``) in
the cloud. Everything printed passes through the secret redactor."""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

from ..reports.redact import Redactor
from ..reports.source import ViewSource, open_views
from ..store import RunEvent, RunRecord
from .run_ref import RunRefError, find_run
from .unknown import loaded_names, unknown_name

FLOW_KINDS = ("agentflow", "agentflows", "flow", "flows")
AGENT_KINDS = ("agent", "agents")
POLL_SECONDS = 1.0
_SINCE = re.compile(r"^(\d+)([smhd])$")


class Printer:
    """Writes lines to ``out`` with secrets masked."""

    def __init__(self, out: TextIO | None = None, env: dict[str, str] | None = None) -> None:
        self.out = out or sys.stdout
        self.redactor = Redactor(dict(os.environ) if env is None else env)

    def line(self, text: str = "") -> None:
        self.out.write(self.redactor.text(text) + "\n")
        self.out.flush()

    def json(self, value: Any) -> None:
        self.line(json.dumps(self.redactor.value(value), indent=2, default=str, ensure_ascii=False))


def parse_since(text: str | None, now: datetime | None = None) -> datetime | None:
    if not text:
        return None
    match = _SINCE.match(text.strip())
    if not match:
        raise ValueError(f"--since {text!r}: use e.g. 90s, 30m, 24h, 7d")
    unit = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}[match.group(2)]
    return (now or datetime.now(UTC)) - timedelta(**{unit: int(match.group(1))})


def _source(args: argparse.Namespace) -> ViewSource:
    return open_views(getattr(args, "state_dir", None))


def _seconds(run: RunRecord) -> str:
    from ..reports.summary import run_seconds

    value = run_seconds(run)
    return f"{value:.1f}s" if value is not None else "-"


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 100:.1f}%"


def _secs(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f}s"


# -- get runs ---------------------------------------------------------------------------------


def get_runs(args: argparse.Namespace) -> int:
    """``aofctl get runs [--since 24h] [-o json|yaml]`` (called by ``get``)."""
    from .output import print_structured, print_table

    printer = Printer()
    try:
        since = parse_since(getattr(args, "since", None))
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    source = _source(args)
    try:
        if getattr(args, "name", None):
            try:
                runs = [find_run(source.store, args.name)]
            except RunRefError as error:
                print(f"error: {error} (see aofctl get runs)", file=sys.stderr)
                return 1
        else:
            runs = source.runs(None, since, 1000)
    finally:
        source.close()
    if args.output in ("json", "yaml"):
        from io import StringIO

        buffer = StringIO()
        documents = [r.to_dict() for r in runs]
        print_structured(documents[0] if getattr(args, "name", None) else documents, args.output, buffer)
        printer.line(buffer.getvalue().rstrip("\n"))
        return 0
    from io import StringIO

    buffer = StringIO()
    rows = [[r.run_id, r.flow, r.incident_id, r.status, r.outcome, r.started_at, _seconds(r)] for r in runs]
    print_table(["RUN", "FLOW", "INCIDENT", "STATUS", "OUTCOME", "STARTED", "DURATION"], rows, buffer)
    printer.line(buffer.getvalue().rstrip("\n"))
    return 0


# -- describe ---------------------------------------------------------------------------------


def _describe(args: argparse.Namespace) -> int:
    from ..reports.summary import summarise

    if args.kind not in FLOW_KINDS:
        print(f"error: describe supports agentflow, not {args.kind!r}", file=sys.stderr)
        return 1
    printer = Printer()
    source = _source(args)
    try:
        runs = source.runs(args.name)
        if not runs and args.name not in loaded_names("flows"):
            known = [*loaded_names("flows"), *(r.flow for r in source.runs(None, None, 1000))]
            print(unknown_name("agentflow", args.name, known), file=sys.stderr)
            return 1
        events = {r.run_id: source.events(r.run_id) for r in runs}
        histories = {r.run_id: source.history(r) for r in runs}
        summary = summarise(args.name, runs, events, histories)
        links = {r.run_id: source.console_url(r) for r in runs[: args.last]}
    finally:
        source.close()
    if args.output == "json":
        document = summary.to_dict()
        document["last_runs"] = [
            {**r.to_dict(), "duration": _seconds(r), "console_url": links.get(r.run_id)} for r in runs[: args.last]
        ]
        printer.json(document)
        return 0
    definition = _definition_line(args.name)
    lines = [
        f"Name:                {args.name}",
        f"Backend:             {source.backend}",
        f"Definition:          {definition}",
        f"Runs:                {summary.runs} ({summary.finished} finished, {summary.in_progress} in progress)",
        f"success_rate:        {_pct(summary.success_rate)} (resolved, with or without an approval, of finished runs)",
        f"auto_resolved_share: {_pct(summary.auto_resolved_share)} ({summary.auto_resolved} of {summary.runs} runs, no human)",
        "outcomes:            "
        + (", ".join(f"{kind} {count}" for kind, count in sorted(summary.by_resolution.items())) or "none yet"),
        f"escalated:           {summary.escalated}",
        f"failed:              {summary.failed}",
        f"mttr_p50:            {_secs(summary.mttr_p50)}",
        f"mttr_p90:            {_secs(summary.mttr_p90)}",
        f"approvals:           {summary.approvals} (waited p50 {_secs(summary.approval_wait_p50)})",
        f"llm_tokens:          input {summary.tokens_in}, output {summary.tokens_out}",
        "",
        "Node durations (p50 / max, seconds):",
    ]
    for name, figures in summary.node_durations.items():
        lines.append(f"  {name:<24} {figures['p50']:>8.2f} / {figures['max']:>8.2f}  ({int(figures['runs'])} runs)")
    lines += ["", "Last runs:"]
    if not runs:
        lines.append("  (none yet)")
    for run in runs[: args.last]:
        link = links.get(run.run_id)
        lines.append(
            f"  {run.run_id:<56} {run.incident_id or '-':<10} {run.outcome or run.status!s:<10} "
            f"{_seconds(run):>8}  {run.started_at}" + (f"\n    {link}" if link else "")
        )
    for text in lines:
        printer.line(text)
    return 0


def _definition_line(name: str) -> str:
    try:
        from .resources_cmd import default_paths, load_checked

        flow = load_checked(default_paths()).flows.get(name)
    except Exception:  # the views work without the YAML (e.g. on a laptop reading the cloud)
        flow = None
    if flow is None:
        return "not found in the local YAML"
    return f"{len(flow.spec.nodes)} nodes, trigger {flow.spec.trigger.type}"


# -- logs -------------------------------------------------------------------------------------


def _short(value: Any, limit: int = 200) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str, ensure_ascii=False)
    text = text.replace("\n", " ").strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _task_lines(run: RunRecord, history: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """One line per task state of the execution, with the node type read from its function."""
    lines: list[tuple[str, str]] = []
    functions: dict[str, str] = {}
    current = ""
    for item in history:
        kind = str(item.get("type"))
        if kind == "TaskStateEntered":
            current = str((item.get("stateEnteredEventDetails") or {}).get("name", ""))
        elif kind == "TaskScheduled":
            params = (item.get("taskScheduledEventDetails") or {}).get("parameters") or "{}"
            try:
                functions[current] = str(json.loads(params).get("FunctionName", ""))
            except (TypeError, ValueError):
                functions[current] = ""
        elif kind in ("TaskStateExited", "TaskFailed", "TaskTimedOut"):
            details = item.get("stateExitedEventDetails") or {}
            name = str(details.get("name") or current)
            status = {"TaskStateExited": "done", "TaskFailed": "FAILED", "TaskTimedOut": "TIMED OUT"}[kind]
            function = functions.get(name, "").rsplit(":", 1)[-1].replace("_node", "").lower()
            lines.append((str(item.get("timestamp")), f"{run.run_id}  node {name} [{function or 'task'}] {status}"))
    return lines


def _event_line(run: RunRecord, event: RunEvent) -> str:
    node = f" {event.node_id}" if event.node_id else ""
    details = dict(event.details)
    if event.type == "AgentCall":
        output = details.get("output") or {}
        brief = {
            k: output[k] for k in ("severity", "action_taken", "result") if isinstance(output, dict) and k in output
        }
        text = f"agent {details.get('agent')}: {len(details.get('tool_calls') or [])} tool call(s) -> {_short(brief)}"
    elif event.type == "ApprovalDecided":
        text = f"{details.get('decision')} by {details.get('by')}"
    else:
        text = _short(details) if details else ""
    return f"{run.run_id}  {event.type}{node} {text}".rstrip()


def _flow_entries(source: ViewSource, flow: str) -> list[tuple[str, str, str]]:
    """(time, key, line) for every event and task of the flow's runs, oldest first."""
    entries: list[tuple[str, str, str]] = []
    for run in source.runs(flow, None, 200):
        for event in source.events(run.run_id):
            entries.append((event.at, f"{run.run_id}#{event.seq}", _event_line(run, event)))
        for at, text in _task_lines(run, source.history(run)):
            entries.append((_iso(at), f"{run.run_id}@{at}{text}", text))
    return sorted(entries)


def _iso(value: str) -> str:
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    except ValueError:
        return value


def _agent_entries(source: ViewSource, agent: str) -> list[tuple[str, str, str]]:
    entries = []
    for run in source.runs(None, None, 200):
        for event in source.events(run.run_id):
            if event.type == "AgentCall" and event.details.get("agent") == agent:
                entries.append((event.at, f"{run.run_id}#{event.seq}", _agent_call(run, event)))
    return sorted(entries)


def _agent_call(run: RunRecord, event: RunEvent) -> str:
    d = event.details
    calls = d.get("model_calls") or []
    tokens_in = sum(int(c.get("input_tokens") or 0) for c in calls)
    tokens_out = sum(int(c.get("output_tokens") or 0) for c in calls)
    models = ", ".join(sorted({f"{c.get('provider')}:{c.get('model')}" for c in calls if c.get("ok")})) or "-"
    lines = [
        f"── {event.at}  agent {d.get('agent')}  run {run.run_id}  node {event.node_id}",
        f"   model: {models}" + (f" (fallback {d['fallback_used']})" if d.get("fallback_used") else ""),
        "   input: " + _short(d.get("input", ""), 600),
        f"   tool calls ({len(d.get('tool_calls') or [])}):",
    ]
    for call in d.get("tool_calls") or []:
        command = (call.get("input") or {}).get("command") or _short(call.get("input"), 160)
        status = "ok" if call.get("ok") else f"error: {_short(call.get('error'), 120)}"
        lines.append(f"     $ [{call.get('name')}] {command}  ({call.get('action_kind') or 'read'}, {status})")
    lines.append("   output: " + _short(d.get("output"), 800))
    lines.append(f"   tokens: input {tokens_in}, output {tokens_out}")
    return "\n".join(lines)


def _stream(printer: Printer, collect: Any, tail: int | None, follow: bool, state_dir: str | None) -> int:
    seen: set[str] = set()
    first = True
    while True:
        source = open_views(state_dir)
        try:
            entries: list[tuple[str, str, str]] = collect(source)
        finally:
            source.close()
        fresh = [e for e in entries if e[1] not in seen]
        if first and tail is not None:
            seen.update(e[1] for e in fresh[: max(0, len(fresh) - tail)])
            fresh = fresh[max(0, len(fresh) - tail) :] if tail else []
        for at, key, text in fresh:
            seen.add(key)
            printer.line(text if text.startswith("──") else f"{at}  {text}")
        if first and not entries and not follow:
            printer.line("(no runs recorded yet)")
        first = False
        if not follow:
            return 0
        time.sleep(POLL_SECONDS)


def _logs(args: argparse.Namespace) -> int:
    printer = Printer()
    target, name = args.target, args.name
    if target in FLOW_KINDS or target in AGENT_KINDS:
        if not name:
            print(f"error: aofctl logs {target} NAME", file=sys.stderr)
            return 1
        problem = _unknown_target(target, name, args.state_dir)
        if problem:
            print(problem, file=sys.stderr)
            return 1
        if target in FLOW_KINDS:
            return _stream(printer, lambda s: _flow_entries(s, name), args.tail, args.follow, args.state_dir)
        return _stream(printer, lambda s: _agent_entries(s, name), args.tail, args.follow, args.state_dir)
    if args.system:
        return _system_logs(target, args.state_dir, args.output)
    return _run_logs(printer, target, args.state_dir)


def _system_logs(ref: str, state_dir: str | None, output: str) -> int:
    """``logs RUN --system``: the run's structured log lines (see :mod:`.system_logs`)."""
    from ..settings import state_dir as default_state_dir
    from .system_logs import show

    source = open_views(state_dir)
    try:
        try:
            run = find_run(source.store, ref)
        except RunRefError as error:
            print(f"error: {error} (see aofctl get runs)", file=sys.stderr)
            return 1
    finally:
        source.close()
    return show(run.run_id, Path(state_dir) if state_dir else default_state_dir(), output)


def _unknown_target(target: str, name: str, state_dir: str | None) -> str | None:
    """The error for ``logs agentflow|agent NAME`` when NAME names nothing defined or recorded."""
    kind = "flows" if target in FLOW_KINDS else "agents"
    defined = loaded_names(kind)
    if name in defined:
        return None
    source = open_views(state_dir)
    try:
        runs = source.runs(None, None, 200)
        if kind == "flows":
            recorded = {r.flow for r in runs}
        else:
            recorded = {
                str(e.details.get("agent"))
                for r in runs
                for e in source.events(r.run_id)
                if e.type == "AgentCall" and e.details.get("agent")
            }
    finally:
        source.close()
    if name in recorded:
        return None
    return unknown_name("agentflow" if kind == "flows" else "agent", name, [*defined, *recorded])


def agent_logs(args: argparse.Namespace) -> int:
    """``aofctl agent logs NAME [--tail N] [-f]`` (registered by the agent command)."""
    printer = Printer()
    problem = _unknown_target("agent", args.name, getattr(args, "state_dir", None))
    if problem:
        print(problem, file=sys.stderr)
        return 1
    return _stream(
        printer, lambda s: _agent_entries(s, args.name), args.tail, args.follow, getattr(args, "state_dir", None)
    )


def flow_logs(args: argparse.Namespace) -> int:
    printer = Printer()
    problem = _unknown_target("agentflow", args.name, args.state_dir)
    if problem:
        print(problem, file=sys.stderr)
        return 1
    return _stream(printer, lambda s: _flow_entries(s, args.name), args.tail, args.follow, args.state_dir)


def _run_logs(printer: Printer, ref: str, state_dir: str | None) -> int:
    source = open_views(state_dir)
    try:
        try:
            run = find_run(source.store, ref)
        except RunRefError as error:
            print(f"error: {error} (see aofctl get runs)", file=sys.stderr)
            return 1
        events = source.events(run.run_id)
        history = source.history(run)
    finally:
        source.close()
    printer.line(f"Run {run.run_id}  flow {run.flow}  incident {run.incident_id}  {run.outcome or run.status}")
    merged: list[tuple[str, int, str]] = []
    for event in events:
        merged.append((event.at, 0, _event_line(run, event).split("  ", 1)[1]))
    for item in history:
        details: dict[str, Any] = {}
        for key, value in item.items():
            if key.endswith("EventDetails") and isinstance(value, dict):
                details = value
        name = details.get("name") or details.get("error") or ""
        merged.append((_iso(str(item.get("timestamp"))), 1, f"{item.get('type')} {name}".rstrip()))
    for at, _, text in sorted(merged):
        printer.line(f"{at}  {text}")
    return 0


# -- report -----------------------------------------------------------------------------------


def _report(args: argparse.Namespace) -> int:
    from ..reports.html import postmortem_html
    from ..reports.markdown import postmortem_markdown
    from ..reports.timeline import build_timeline, path_taken

    env = dict(os.environ)
    redactor = Redactor(env)
    source = _source(args)
    try:
        try:
            run = find_run(source.store, args.run_id)
        except RunRefError as error:
            print(f"error: {error} (see aofctl get runs)", file=sys.stderr)
            return 1
        events = source.events(run.run_id)
        nodes = source.node_records(run)
        link = source.console_url(run)
    finally:
        source.close()
    timeline = build_timeline(run, events, nodes)
    narrative = _narrative(args, run, events, env) if args.narrative else None
    printed = [e for e in events if e.type == "MessagePrinted"]
    markdown = redactor.text(postmortem_markdown(run, timeline, narrative, link, printed))
    for target in (args.output_file, args.html):
        problem = _writable(target) if target else None
        if problem:
            print(f"error: cannot write {target}: {problem}", file=sys.stderr)
            return 1
    if args.output_file:
        Path(args.output_file).write_text(markdown, encoding="utf-8")
    else:
        Printer(env=env).line(markdown.rstrip("\n"))
    if args.html:
        from ..spec import FlowGraph

        flow = _load(args).flows.get(run.flow)
        graph = FlowGraph.of(flow) if flow is not None else None
        page = postmortem_html(run, timeline, graph, path_taken(nodes, events), narrative, link)
        Path(args.html).write_text(redactor.text(page), encoding="utf-8")
        print(f"wrote {args.html}", file=sys.stderr)
    return 0


def _writable(target: str) -> str | None:
    """Make the file's directory (as ``mkdir -p`` would); the reason in words when that fails."""
    path = Path(target)
    if path.is_dir():
        return "it is a directory; give a file name, e.g. " + str(path / "report.html")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        return f"{next(p for p in path.parents if p.exists())} is a file, not a directory"
    except OSError as error:
        return f"its directory {path.parent} cannot be created ({error.strerror or error})"
    return None


def _load(args: argparse.Namespace) -> Any:
    from ..spec import load_paths
    from .resources_cmd import default_paths

    return load_paths(args.paths or default_paths())


def _narrative(args: argparse.Namespace, run: RunRecord, events: list[RunEvent], env: dict[str, str]) -> str:
    from ..reports.analyzer import ANALYZER, analyse
    from ..reports.records import incident_record

    agent = _load(args).agents.get(ANALYZER)
    if agent is None:
        return f"(no agent named {ANALYZER} in the loaded YAML)"
    return analyse(agent, [incident_record(run, events)], env, f"incident {run.incident_id or run.run_id}")


# -- registration -----------------------------------------------------------------------------


def _state_dir(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--state-dir", help="the embedded default's state directory (default: AOF_STATE_DIR)")


def add_parsers(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    describe = subparsers.add_parser("describe", help="figures of a flow: runs, success rate, MTTR, node durations")
    describe.add_argument("kind", help="agentflow")
    describe.add_argument("name")
    describe.add_argument("-o", "--output", choices=["text", "json"], default="text")
    describe.add_argument("--last", type=int, default=10, help="how many recent runs to list")
    _state_dir(describe)
    describe.set_defaults(handler=_describe)

    logs = subparsers.add_parser("logs", help="logs agentflow NAME | logs agent NAME | logs RUN")
    logs.add_argument("target", help="agentflow, agent, or a run (id, unique prefix, incident id or approval id)")
    logs.add_argument("name", nargs="?")
    logs.add_argument("-f", "--follow", action="store_true", help="keep printing new entries")
    logs.add_argument("--tail", type=int, default=None, help="only the last N entries")
    logs.add_argument(
        "--system", action="store_true", help="a run's structured log lines (JSON lines, as in CloudWatch Logs)"
    )
    logs.add_argument(
        "-o", "--output", choices=("text", "json"), default="text", help="with --system: json prints lines as written"
    )
    _state_dir(logs)
    logs.set_defaults(handler=_logs)

    flow = subparsers.add_parser("flow", help="flow logs NAME")
    flow_sub = flow.add_subparsers(dest="flow_command", metavar="SUBCOMMAND")
    flow_logs_parser = flow_sub.add_parser("logs", help="events and node steps of a flow's runs")
    flow_logs_parser.add_argument("name")
    flow_logs_parser.add_argument("-f", "--follow", action="store_true")
    flow_logs_parser.add_argument("--tail", type=int, default=None)
    _state_dir(flow_logs_parser)
    flow_logs_parser.set_defaults(handler=flow_logs)

    report = subparsers.add_parser("report", help="postmortem of one run (markdown; --html for a page)")
    report.add_argument("run_id", metavar="RUN", help="run id, unique prefix, incident id or approval id")
    report.add_argument("--narrative", action="store_true", help="add the post-incident-analyzer's analysis")
    report.add_argument("--html", metavar="FILE", help="also write a self-contained HTML page")
    report.add_argument("-o", "--output-file", metavar="FILE", help="write the markdown here instead of stdout")
    report.add_argument("-f", "--file", dest="paths", action="append", help="where to load agents/flows from")
    _state_dir(report)
    report.set_defaults(handler=_report)
