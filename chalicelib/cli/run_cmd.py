"""``aofctl run FLOW --event FILE``: one incident on the embedded engine, with a live view."""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from pathlib import Path
from typing import Any, TextIO

EXIT_RESOLVED, EXIT_ERROR, EXIT_ESCALATED = 0, 1, 2


class LiveView:
    """Prints node progress from the engine's history events as they happen."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.started: dict[str, float] = {}
        self.lock = threading.Lock()

    def __call__(self, event: Any) -> None:
        details = event.details or {}
        name = str(details.get("name") or details.get("state") or details.get("stateName") or "")
        kind = event.type
        with self.lock:
            if kind == "TaskStateEntered":
                self.started[name] = time.monotonic()
                self._line(f"  ▶ {name:<26} running")
            elif kind == "TaskStateExited":
                took = time.monotonic() - self.started.get(name, time.monotonic())
                self._line(f"  ✓ {name:<26} done ({took:.1f}s)")
            elif (
                kind == "TaskSubmitted" and details.get("waitForTaskToken", True) and "waitForTaskToken" in str(details)
            ):
                self._line(f"  ⏸ {name:<26} waiting for approval")
            elif kind == "ChoiceStateExited":
                self._line(f"  ◆ {name:<26} decided")
            elif kind == "PassStateEntered" and name.startswith("skip"):
                self._line(f"  ⤼ {name}")
            elif kind == "TaskFailed":
                self._line(f"  ✗ {name:<26} failed: {details.get('error', '')}")
            elif kind == "TaskTimedOut":
                self._line(f"  ⏱ {name:<26} timed out")

    def _line(self, text: str) -> None:
        self.out.write(text + "\n")
        self.out.flush()


def load_event(path: str) -> dict[str, Any]:
    """A PagerDuty webhook body (tutorial or v3 shape) as the flow sees it under ``$.event``."""
    from ..webhooks.pagerduty_models import parse_body

    raw = Path(path).read_bytes()
    event = parse_body(raw)
    if not hasattr(event, "to_flow_event"):
        raise ValueError("the event is not an incident event")
    flow_event: dict[str, Any] = event.to_flow_event()
    return flow_event


def summary(app: Any, run_id: str, out: TextIO) -> int:
    run = app.store.runs.get_run(run_id)
    description = app.runtime.describe(app.execution_id(run_id))
    nodes = (description.output or {}).get("nodes") or {}
    out.write("\nSummary\n")
    for key, record in nodes.items():
        if not isinstance(record, dict):
            continue
        status = record.get("status") or ("failed" if "Error" in record else "?")
        extra = record.get("reason") or ""
        out.write(f"  {key:<22} {status:<10} {extra}\n")
    outcome = run.outcome if run else None
    resolution = (run.extra or {}).get("resolution") if run else None
    said = f"{resolution['kind'].upper()}: {resolution['text']}" if isinstance(resolution, dict) else str(outcome)
    out.write(f"\nOutcome: {said}  (run {run_id}, execution {description.status})\n")
    if outcome == "resolved":
        return EXIT_RESOLVED
    if outcome in ("escalated", "failed"):
        return EXIT_ESCALATED
    return EXIT_ERROR


def _run(args: argparse.Namespace) -> int:
    if args.flow == "agentflow":
        # The tutorial's `aofctl run agentflow NAME --daemon` starts the service (`aofctl serve`).
        from .main import main as aofctl

        if not args.name or not args.daemon:
            print("error: use aofctl run agentflow NAME --daemon (or aofctl run FLOW --event FILE)", file=sys.stderr)
            return EXIT_ERROR
        return aofctl(["serve", *(["--state-dir", args.state_dir] if args.state_dir else [])])
    if not args.event:
        print("error: aofctl run FLOW needs --event FILE", file=sys.stderr)
        return EXIT_ERROR
    from ..errors import AofError
    from ..service.local import LocalApp
    from ..webhooks.execution_names import execution_name

    out = sys.stdout
    try:
        flow_event = load_event(args.event)
    except (OSError, AofError, ValueError) as error:
        print(f"error: cannot read incident event {args.event}: {error}", file=sys.stderr)
        return EXIT_ERROR
    app = LocalApp(args.paths or None, state_dir=args.state_dir, out=out)
    try:
        if args.flow not in app.resources.flows:
            print(f"error: no flow named {args.flow!r}; known: {', '.join(app.resources.flows)}", file=sys.stderr)
            return EXIT_ERROR
        app.engine.subscribe(LiveView(out))
        incident = flow_event.get("incident") or {}
        name = execution_name(str(incident.get("id", "incident")), str(flow_event.get("event_id") or time.time_ns()))
        out.write(f"Incident {incident.get('id')}: {incident.get('title')}\nFlow {args.flow}, run {name}\n\n")
        run_id = app.start_run(args.flow, flow_event, name)
        app.wait(run_id, timeout=args.timeout)
        return summary(app, run_id, out)
    finally:
        app.close()


def add_parsers(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    run = subparsers.add_parser("run", help="run one incident through a flow on the embedded engine")
    run.add_argument("flow", help="flow name (metadata.name), or `agentflow` as in `run agentflow NAME --daemon`")
    run.add_argument("name", nargs="?", help="with `agentflow`: the flow to serve")
    run.add_argument("--daemon", action="store_true", help="with `agentflow`: run the service (aofctl serve)")
    run.add_argument("--event", help="PagerDuty webhook body (JSON file)")
    run.add_argument("-f", "--file", dest="paths", action="append", help="resources to load (default agents/ flows/)")
    run.add_argument("--state-dir", help="where the embedded engine keeps its SQLite files")
    run.add_argument("--timeout", type=float, default=3600.0, help="give up waiting after this many seconds")
    run.set_defaults(handler=_run)


def dump(value: Any) -> str:
    return json.dumps(value, indent=2, default=str)
