"""``aofctl report RUN [--narrative] [--html FILE] [-o FILE]``: one run's postmortem, secrets masked."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from ..reports.analyzer import ANALYZER, analyse
from ..reports.html import postmortem_html
from ..reports.markdown import postmortem_markdown
from ..reports.records import incident_record
from ..reports.redact import Redactor
from ..reports.timeline import build_timeline, path_taken
from ..spec import FlowGraph, Resources, load_paths
from ..store import RunEvent, RunRecord
from .project import default_paths
from .run_ref import RunRefError, find_run
from .views_common import Printer, add_state_dir, open_source


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    report = subparsers.add_parser("report", help="postmortem of one run (markdown; --html for a page)")
    report.add_argument("run_id", metavar="RUN", help="run id, unique prefix, incident id or approval id")
    report.add_argument("--narrative", action="store_true", help="add the post-incident-analyzer's analysis")
    report.add_argument("--html", metavar="FILE", help="also write a self-contained HTML page")
    report.add_argument("-o", "--output-file", metavar="FILE", help="write the markdown here instead of stdout")
    report.add_argument("-f", "--file", dest="paths", action="append", help="where to load agents/flows from")
    add_state_dir(report)
    report.set_defaults(handler=_report)


def _report(args: argparse.Namespace) -> int:
    env = dict(os.environ)
    redactor = Redactor(env)
    source = open_source(args)
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


def _load(args: argparse.Namespace) -> Resources:
    return load_paths(args.paths or default_paths())


def _narrative(args: argparse.Namespace, run: RunRecord, events: list[RunEvent], env: dict[str, str]) -> str:
    agent = _load(args).agents.get(ANALYZER)
    if agent is None:
        return f"(no agent named {ANALYZER} in the loaded YAML)"
    return analyse(agent, [incident_record(run, events)], env, f"incident {run.incident_id or run.run_id}")
