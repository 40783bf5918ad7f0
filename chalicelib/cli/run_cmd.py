"""``aofctl run FLOW --event FILE``: one incident on the embedded engine, with a live view."""

from __future__ import annotations

import argparse
import getpass
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from ..errors import AofError
from ..reports.daily import DAILY_FLOW, run_daily_analysis
from ..store.stops import RUN_STOPPED
from ..webhooks.execution_names import execution_name
from ..webhooks.pagerduty_body import parse_body
from .console_setup import add_console_arguments
from .countdown import Countdown
from .invocation import aofctl_command
from .run_driver import RunDriver
from .serve_cmd import add_server_arguments, serve
from .stopping import EXIT_INTERRUPTED, ChangeLines, StopKeys, in_flight, leaving_text

# The embedded composition root (36 ms: the engine, SQLite) is imported when a run starts,
# not when ``aofctl`` does.

EXIT_RESOLVED, EXIT_ERROR, EXIT_ESCALATED = 0, 1, 2


class LiveView:
    """Prints node progress from the engine's history events as they happen."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.started: dict[str, float] = {}
        # Reentrant: ``before`` prints its own lines through ``line`` while the lock is held.
        self.lock = threading.RLock()
        #: Called before each engine event is shown (the run's audit lines that came first).
        self.before: Callable[[], None] | None = None

    def __call__(self, event: Any) -> None:
        details = event.details or {}
        name = str(details.get("name") or details.get("state") or details.get("stateName") or "")
        kind = event.type
        with self.lock:
            if self.before is not None:
                self.before()
            at = _epoch(event.timestamp)
            if kind == "TaskStateEntered":
                self.started[name] = at
                self._line(f"  ▶ {name:<26} running")
            elif kind == "TaskStateExited":
                took = at - self.started.get(name, at)
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

    def line(self, text: str) -> None:
        """A line of our own between the engine's (one writer at a time)."""
        with self.lock:
            self._line(text)


def _epoch(timestamp: Any) -> float:
    """Seconds since the epoch from a progress event (datetime) or a stored one (float)."""
    return float(timestamp.timestamp()) if hasattr(timestamp, "timestamp") else float(timestamp)


def load_event(path: str) -> dict[str, Any]:
    """A PagerDuty webhook body (tutorial or v3 shape) as the flow sees it under ``$.event``."""
    raw = Path(path).read_bytes()
    event = parse_body(raw)
    if not hasattr(event, "to_flow_event"):
        raise ValueError("the event is not an incident event")
    flow_event: dict[str, Any] = event.to_flow_event()
    return flow_event


def summary(app: Any, run_id: str, out: TextIO) -> int:
    run = app.store.runs.get_run(run_id)
    description = app.runtime.describe(app.execution_id(run_id))
    stop = _stop_event(app, run_id) if description.status == "ABORTED" else None
    out.write("\nSummary\n")
    for key, status, extra in _node_rows(app, description, stopped=stop is not None):
        out.write(f"  {key:<22} {status:<10} {extra}\n")
    if stop is not None:
        reason = stop.details.get("reason") or "stopped"
        out.write(
            f"\nOutcome: STOPPED ({reason}): no step or change started after it; the incident is left with a human"
            f"  (run {run_id}, execution {description.status})\n"
        )
        return EXIT_INTERRUPTED
    outcome = run.outcome if run else None
    resolution = (run.extra or {}).get("resolution") if run else None
    said = f"{resolution['kind'].upper()}: {resolution['text']}" if isinstance(resolution, dict) else str(outcome)
    out.write(f"\nOutcome: {said}  (run {run_id}, execution {description.status})\n")
    if outcome == "resolved":
        return EXIT_RESOLVED
    if outcome in ("escalated", "failed"):
        return EXIT_ESCALATED
    return EXIT_ERROR


def _stop_event(app: Any, run_id: str) -> Any:
    return next((e for e in app.store.runs.events(run_id) if e.type == RUN_STOPPED), None)


def _node_rows(app: Any, description: Any, *, stopped: bool) -> list[tuple[str, str, str]]:
    """One row per node recorded in the execution's state; a stopped execution has no output,
    so its rows come from the last state it left, plus the task it was stopped in."""
    nodes = (description.output or {}).get("nodes") if description.output else None
    pending: list[str] = []
    if nodes is None:
        nodes = {}
        entered: list[str] = []
        for event in app.runtime.history(description.execution_id):
            if event["type"].endswith("StateExited"):
                output = event["stateExitedEventDetails"].get("output")
                state = json.loads(output) if output else {}
                if isinstance(state, dict) and isinstance(state.get("nodes"), dict):
                    nodes = state["nodes"]
                entered = []
            elif event["type"] == "TaskStateEntered":
                entered.append(str(event["stateEnteredEventDetails"].get("name", "")))
        pending = entered if stopped else []
    rows: list[tuple[str, str, str]] = []
    for key, record in nodes.items():
        if not isinstance(record, dict):
            continue
        status = record.get("status") or ("failed" if "Error" in record else "?")
        written = [w.get("written_to") for w in (record.get("meta") or {}).get("written") or [] if w.get("written_to")]
        said = str(record.get("reason") or "") or ("wrote " + ", ".join(written) if written else "")
        rows.append((key, str(status), said))
    rows += [(name, "stopped", "stopped while running; its result was not used") for name in pending]
    return rows


def _follow(app: Any, run_id: str, out: TextIO, live: LiveView, changes: ChangeLines, timeout: float) -> int:
    """Wait for the run with the live view; the first Ctrl-C stops it, the second leaves."""
    with StopKeys(out) as keys:
        keys.leaving = leaving_text(app, run_id, changes, stopped=False)
        execution = app.execution_id(run_id)
        deadline = time.monotonic() + timeout
        countdown = Countdown(app, run_id, changes, live.line)
        while not keys.pressed:
            changes.poll()
            countdown.tick()
            if app.runtime.describe(execution).status not in ("RUNNING", "QUEUED"):
                break
            if time.monotonic() > deadline:
                print(f"error: run {run_id} still running after {timeout:g}s (--timeout)", file=sys.stderr)
                return EXIT_ERROR
            time.sleep(0.1)
        if keys.pressed and not app.stop_run(run_id, "Ctrl-C in aofctl run", by=_user()):
            live.line("\n⏹ Ctrl-C: the run had already finished; nothing to stop.")
        elif keys.pressed:
            live.line("\n⏹ Stopping (Ctrl-C): no new step or change will start. Ctrl-C again leaves at once.")
            for text in in_flight(app, run_id, changes):
                live.line(f"  … {text}")
            while app.tasks_in_flight(run_id):
                changes.poll()
                keys.leaving = leaving_text(app, run_id, changes, stopped=True)
                time.sleep(0.1)
            changes.poll()
            live.line("⏹ Stopped." + (" " + "; ".join(changes.settled) if changes.settled else " No change was made."))
        app.finish(execution)
        return summary(app, run_id, out)


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "operator"


def _run(args: argparse.Namespace) -> int:
    if args.flow == "agentflow":
        # The tutorial's `aofctl run agentflow NAME --daemon` starts the service (`aofctl serve`).
        if not args.name or not args.daemon:
            print("error: use aofctl run agentflow NAME --daemon (or aofctl run FLOW --event FILE)", file=sys.stderr)
            return EXIT_ERROR
        serve_parser = argparse.ArgumentParser(prog="aofctl serve")
        add_server_arguments(serve_parser)
        add_console_arguments(serve_parser)
        return serve(serve_parser.parse_args(["--state-dir", args.state_dir] if args.state_dir else []))

    if not args.event:
        if args.flow == DAILY_FLOW:
            return _run_daily(args)
        print(f"error: aofctl run FLOW needs --event FILE (only {DAILY_FLOW} runs without one)", file=sys.stderr)
        return EXIT_ERROR
    from ..service.local import LocalApp

    out = sys.stdout
    try:
        flow_event = load_event(args.event)
    except (OSError, AofError, ValueError) as error:
        print(f"error: cannot read incident event {args.event}: {error}", file=sys.stderr)
        return EXIT_ERROR
    missing = [p for p in (args.paths or ["agents", "flows"]) if not Path(p).exists()]
    if missing:
        print(
            f"error: {', '.join(missing)} not found in {Path.cwd()}: run aofctl from the project's root"
            " (where agents/ and flows/ are), or name the YAML with -f FILE_OR_DIR",
            file=sys.stderr,
        )
        return EXIT_ERROR
    try:
        # Not started yet: a run another process drives is only followed from here, never resumed.
        app = LocalApp(args.paths or None, state_dir=args.state_dir, out=out, start=False)
    except AofError as error:
        print(f"error: {error}", file=sys.stderr)
        for problem in getattr(error, "problems", None) or []:
            print(f"  {problem}", file=sys.stderr)
        return EXIT_ERROR
    driver: RunDriver | None = None
    try:
        if args.flow not in app.resources.flows:
            print(f"error: no flow named {args.flow!r}; known: {', '.join(app.resources.flows)}", file=sys.stderr)
            return EXIT_ERROR
        incident = flow_event.get("incident") or {}
        event_id = str(flow_event.get("event_id") or time.time_ns())
        if args.rerun:
            # The same event on purpose: a run of its own, named apart from the first.
            event_id = f"rerun-{datetime.now(UTC):%Y%m%dT%H%M%S%f}-{event_id}"
        name = args.execution_name or execution_name(str(incident.get("id", "incident")), event_id)
        earlier = app.store.runs.get_run(name)
        if earlier is not None and earlier.outcome is not None:
            return _repeat(app, earlier, args, out)
        driver = RunDriver(app.state_dir, name)
        if not driver.acquire():
            if args.detach:
                print(name)
                print(f"run {name} is already in progress (process {driver.holder()})", file=sys.stderr)
                return EXIT_RESOLVED
            return _attach(app, name, out, driver, args.timeout)
        if args.detach:
            run_id = app.start_run(args.flow, flow_event, name)
            driver.release()  # the background process drives it
            return _detach(app, run_id, args)
        live = LiveView(out)
        changes = ChangeLines(app, name, live.line, live.lock)
        live.before = changes.poll
        app.engine.subscribe(live)
        out.write(f"Incident {incident.get('id')}: {incident.get('title')}\nFlow {args.flow}, run {name}\n")
        if earlier is not None and not args.execution_name:
            out.write("The process that ran it ended before it finished; it resumes here.\n")
        out.write("\n")
        app.start()
        run_id = app.start_run(args.flow, flow_event, name)
        return _follow(app, run_id, out, live, changes, args.timeout)
    finally:
        app.close()
        if driver is not None:
            driver.release()


def _run_daily(args: argparse.Namespace) -> int:
    """The daily post-incident report now, by hand: what ``aofctl serve`` runs once a day."""
    from ..service.local import LocalApp

    try:
        app = LocalApp(args.paths or None, state_dir=args.state_dir, out=sys.stdout, start=False)
    except AofError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_ERROR
    try:
        report = run_daily_analysis(app.store, app.deps.notifier, app.env, datetime.now(UTC), paths=args.paths or None)
    finally:
        app.close()
    said = "posted to" if report.posted else "not posted to"
    print(
        f"\nDaily post-incident report: {report.runs} run(s) since {report.since:%Y-%m-%d %H:%M UTC}, {said} {report.channel}"
    )
    return EXIT_RESOLVED


def _repeat(app: Any, earlier: Any, args: argparse.Namespace, out: TextIO) -> int:
    """The same event again: say it is a duplicate, which run it was and how it ended."""
    if args.detach:
        print(earlier.run_id)
    again = f"{aofctl_command()} run {args.flow} --event {args.event} --rerun"
    print(
        f"Duplicate: this event already ran as run {earlier.run_id} (started {_when(earlier.started_at)},"
        f" outcome {earlier.outcome}). Nothing was run again.\nTo run the same event again on purpose: {again}",
        file=out if not args.detach else sys.stderr,
    )
    if args.detach:
        return EXIT_RESOLVED
    return summary(app, earlier.run_id, out)


def _when(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S UTC") if isinstance(value, datetime) else str(value)


def _attach(app: Any, run_id: str, out: TextIO, driver: RunDriver, timeout: float) -> int:
    """Follow a run another ``aofctl run`` drives: its live view from the start, then as it goes."""
    out.write(
        f"Run {run_id} is already in progress (driven by process {driver.holder()}); following it.\n"
        "Ctrl-C stops following; the run goes on.\n\n"
    )
    live = LiveView(out)
    changes = ChangeLines(app, run_id, live.line, live.lock)
    live.before = changes.poll
    seen = 0
    deadline = time.monotonic() + timeout
    countdown = Countdown(app, run_id, changes, live.line)
    try:
        while True:
            run = app.store.runs.get_run(run_id)
            execution = run.execution_arn if run is not None else None
            if execution:
                for event in app.engine.store.events(execution):
                    if event.id > seen:
                        seen = event.id
                        live(event)
            changes.poll()
            countdown.tick()
            if run is not None and run.outcome is not None:
                break
            if not driver.acquire():
                pass  # still driven elsewhere
            else:
                driver.release()
                live.line(f"\nThe process driving run {run_id} ended before the run finished.")
                print(f"resume it: {aofctl_command()} run {run.flow if run else 'FLOW'} --event FILE", file=sys.stderr)
                return EXIT_ERROR
            if time.monotonic() > deadline:
                print(f"error: run {run_id} still running after {timeout:g}s (--timeout)", file=sys.stderr)
                return EXIT_ERROR
            time.sleep(0.2)
    except KeyboardInterrupt:
        live.line(f"\nStopped following; run {run_id} goes on. Follow it again: {aofctl_command()} logs {run_id} -f")
        return EXIT_INTERRUPTED
    return summary(app, run_id, out)


def _detach(app: Any, run_id: str, args: argparse.Namespace) -> int:
    """The run is recorded and its execution started (nothing runs in this process, whose
    engine was not started): a background ``aofctl run`` of the same run drives it."""
    run = app.store.runs.get_run(run_id)
    if run is not None and run.outcome is not None:
        print(run_id)
        print(f"run {run_id} already finished: {run.outcome}", file=sys.stderr)
        return EXIT_RESOLVED
    state_dir = Path(app.state_dir)
    logs = state_dir / "runs"
    logs.mkdir(parents=True, exist_ok=True)
    log_path = logs / f"{run_id}.log"
    command = [
        sys.executable,
        "-m",
        "chalicelib.cli.main",
        "run",
        args.flow,
        "--event",
        str(Path(args.event).resolve()),
    ]
    command += ["--execution-name", run_id, "--state-dir", str(state_dir), "--timeout", str(args.timeout)]
    for path in args.paths or []:
        command += ["-f", str(Path(path).resolve())]
    with open(log_path, "ab") as log:
        # A session of its own: closing the terminal or a Ctrl-C there does not reach it.
        process = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True, cwd=os.getcwd()
        )
    print(run_id)
    print(
        f"run {run_id} started in the background (process {process.pid}); its output: {log_path}\n"
        f"follow it: {aofctl_command()} logs {run_id} -f",
        file=sys.stderr,
    )
    return EXIT_RESOLVED


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    run = subparsers.add_parser("run", help="run one incident through a flow on the embedded engine")
    run.add_argument("flow", help="flow name (metadata.name), or `agentflow` as in `run agentflow NAME --daemon`")
    run.add_argument("name", nargs="?", help="with `agentflow`: the flow to serve")
    run.add_argument("--daemon", action="store_true", help="with `agentflow`: run the service (aofctl serve)")
    run.add_argument("--event", help="PagerDuty webhook body (JSON file); post-incident-daily runs without one")
    run.add_argument("-f", "--file", dest="paths", action="append", help="resources to load (default agents/ flows/)")
    run.add_argument("--state-dir", help="where the embedded engine keeps its SQLite files")
    run.add_argument("--timeout", type=float, default=3600.0, help="give up waiting after this many seconds")
    run.add_argument("--detach", action="store_true", help="start the run in the background, print its id and return")
    run.add_argument(
        "--rerun", action="store_true", help="run an event that already ran again, as a new run (not a duplicate)"
    )
    # The background process of --detach drives the run its parent recorded (not for users).
    run.add_argument("--execution-name", help=argparse.SUPPRESS)
    run.set_defaults(handler=_run)


def dump(value: Any) -> str:
    return json.dumps(value, indent=2, default=str)
