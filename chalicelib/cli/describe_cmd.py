"""``aofctl describe agentflow NAME``: a flow's figures (success rate, MTTR, node durations)."""

from __future__ import annotations

import argparse
import sys

from ..reports.summary import summarise
from .project import default_paths, load_checked
from .unknown import loaded_names, unknown_name
from .views_common import FLOW_KINDS, Printer, add_state_dir, open_source, percent, run_duration, seconds


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    describe = subparsers.add_parser("describe", help="figures of a flow: runs, success rate, MTTR, node durations")
    describe.add_argument("kind", help="agentflow")
    describe.add_argument("name")
    describe.add_argument("-o", "--output", choices=["text", "json"], default="text")
    describe.add_argument("--last", type=int, default=10, help="how many recent runs to list")
    add_state_dir(describe)
    describe.set_defaults(handler=_describe)


def _describe(args: argparse.Namespace) -> int:
    if args.kind not in FLOW_KINDS:
        print(f"error: describe supports agentflow, not {args.kind!r}", file=sys.stderr)
        return 1
    printer = Printer()
    source = open_source(args)
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
            {**r.to_dict(), "duration": run_duration(r), "console_url": links.get(r.run_id)} for r in runs[: args.last]
        ]
        printer.json(document)
        return 0
    definition = _definition_line(args.name)
    lines = [
        f"Name:                {args.name}",
        f"Backend:             {source.backend}",
        f"Definition:          {definition}",
        f"Runs:                {summary.runs} ({summary.finished} finished, {summary.in_progress} in progress)",
        f"success_rate:        {percent(summary.success_rate)} (resolved, with or without an approval, of finished runs)",
        f"auto_resolved_share: {percent(summary.auto_resolved_share)} ({summary.auto_resolved} of {summary.runs} runs, no human)",
        "outcomes:            "
        + (", ".join(f"{kind} {count}" for kind, count in sorted(summary.by_resolution.items())) or "none yet"),
        f"escalated:           {summary.escalated}",
        f"failed:              {summary.failed}",
        f"mttr_p50:            {seconds(summary.mttr_p50)}",
        f"mttr_p90:            {seconds(summary.mttr_p90)}",
        f"approvals:           {summary.approvals} (waited p50 {seconds(summary.approval_wait_p50)})",
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
            f"{run_duration(run):>8}  {run.started_at}" + (f"\n    {link}" if link else "")
        )
    for text in lines:
        printer.line(text)
    return 0


def _definition_line(name: str) -> str:
    try:
        flow = load_checked(default_paths()).flows.get(name)
    except Exception:  # the views work without the YAML (e.g. on a laptop reading the cloud)
        flow = None
    if flow is None:
        return "not found in the local YAML"
    return f"{len(flow.spec.nodes)} nodes, trigger {flow.spec.trigger.type}"
