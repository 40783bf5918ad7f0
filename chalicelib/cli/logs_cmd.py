"""``aofctl logs agentflow NAME | logs agent NAME | logs RUN`` and ``aofctl flow logs NAME``:
events and node steps as they happened, oldest first (``-f`` keeps printing new ones)."""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..reports.source import ViewSource, open_views
from ..settings import state_dir as default_state_dir
from ..store import RunEvent, RunRecord
from .run_ref import RunRefError, find_run
from .system_logs import show
from .unknown import loaded_names, unknown_name
from .views_common import AGENT_KINDS, FLOW_KINDS, Printer, add_state_dir

POLL_SECONDS = 1.0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
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
    add_state_dir(logs)
    logs.set_defaults(handler=_logs)

    flow = subparsers.add_parser("flow", help="flow logs NAME")
    flow_sub = flow.add_subparsers(dest="flow_command", metavar="SUBCOMMAND")
    flow_logs_parser = flow_sub.add_parser("logs", help="events and node steps of a flow's runs")
    flow_logs_parser.add_argument("name")
    flow_logs_parser.add_argument("-f", "--follow", action="store_true")
    flow_logs_parser.add_argument("--tail", type=int, default=None)
    add_state_dir(flow_logs_parser)
    flow_logs_parser.set_defaults(handler=flow_logs)


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
