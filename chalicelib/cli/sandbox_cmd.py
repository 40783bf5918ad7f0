"""``aofctl sandbox up|down|list|incident|expected``: the development cluster.

``up`` runs in the foreground (as ``python -m sandbox up``) and records itself under the state
directory, so that ``aofctl sandbox down`` from another terminal stops it cleanly (SIGTERM, which
``up`` answers by stopping the cluster and removing its kubeconfig).
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

from .. import settings

# Imported by name so that mypy's strict check of chalicelib does not extend into the sandbox (a
# development tool checked on its own terms); a sandbox that fails to import still stops aofctl.
sandbox_cli: Any = importlib.import_module("sandbox.cli")

#: How long ``down`` waits for a sandbox to stop after asking it to.
STOP_GRACE_SECONDS = 10.0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sandbox_cli.add_parser(subparsers)
    parser: argparse.ArgumentParser = subparsers.choices["sandbox"]
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    commands.add_parser("down", help="stop the sandboxes `aofctl sandbox up` started on this machine")
    commands.metavar = "{up,down,list,incident,expected}"
    parser.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    if args.sandbox_command == "down":
        return _down(settings.state_dir(os.environ))
    if args.sandbox_command == "up":
        return _up(args, settings.state_dir(os.environ))
    return int(sandbox_cli.run(args))


def _registry(state_dir: Path) -> Path:
    return state_dir / "sandboxes"


def _up(args: argparse.Namespace, state_dir: Path) -> int:
    record = _registry(state_dir) / f"{os.getpid()}.json"
    record.parent.mkdir(parents=True, exist_ok=True)
    record.write_text(json.dumps({"pid": os.getpid(), "scenario": args.scenario}) + "\n", encoding="utf-8")
    try:
        return int(sandbox_cli.run(args))
    finally:
        record.unlink(missing_ok=True)


def _down(state_dir: Path) -> int:
    running = [r for r in _records(state_dir) if _is_sandbox(r["pid"])]
    if not running:
        print("no sandbox is up")
        return 0
    failed = 0
    for record in running:
        pid, scenario = record["pid"], record.get("scenario", "?")
        os.kill(pid, signal.SIGTERM)
        if _wait_gone(pid, STOP_GRACE_SECONDS):
            print(f"sandbox {scenario} stopped (pid {pid})")
            (_registry(state_dir) / f"{pid}.json").unlink(missing_ok=True)
        else:
            print(
                f"error: sandbox {scenario} (pid {pid}) did not stop within {STOP_GRACE_SECONDS:.0f}s", file=sys.stderr
            )
            failed += 1
    return 1 if failed else 0


def _records(state_dir: Path) -> list[dict[str, Any]]:
    """The sandboxes recorded as up; records of processes that ended without cleaning up are removed."""
    found: list[dict[str, Any]] = []
    for path in sorted(_registry(state_dir).glob("*.json")):
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
            pid = int(record["pid"])
        except (OSError, ValueError, KeyError, TypeError):
            path.unlink(missing_ok=True)
            continue
        if not _is_sandbox(pid):
            path.unlink(missing_ok=True)
            continue
        found.append({**record, "pid": pid})
    return found


def _is_sandbox(pid: int) -> bool:
    """Is ``pid`` still a running ``sandbox up`` (and not another process that got its id)?"""
    if not Path("/proc/self").exists():  # no /proc (macOS): ask whether the process exists at all
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    words = cmdline.split(b"\0")
    return b"sandbox" in words and b"up" in words


def _wait_gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while _is_sandbox(pid):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.1)
    return True
