"""Command line: ``sandbox up --scenario NAME``, ``sandbox list``, ``sandbox incident NAME``.

Wired into ``aofctl`` with ``add_parser(subparsers)`` + ``run(args)``; also ``python -m sandbox ...``.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

from sandbox.scenarios import ScenarioError, list_scenarios, load_scenario

# The sandbox server (93 ms) is imported only by ``up``.


def _add_commands(sub: Any) -> None:
    up = sub.add_parser("up", help="run a sandbox cluster for a scenario in the foreground (Ctrl-C stops it)")
    up.add_argument("--scenario", "-s", required=True, help="scenario name (see `sandbox list`) or a YAML path")
    up.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: a free one)")
    up.add_argument("--kubeconfig", help="where to write the kubeconfig (default: a temporary file)")
    up.add_argument("--speed", type=float, default=1.0, help="simulation speed factor (default 1.0)")
    up.add_argument("--log-requests", action="store_true", help="log every API request to stderr")
    sub.add_parser("list", help="list the scenarios")
    inc = sub.add_parser("incident", help="print a scenario's PagerDuty webhook payload (JSON)")
    inc.add_argument("scenario")
    exp = sub.add_parser("expected", help="print a scenario's expected diagnosis and action (JSON)")
    exp.add_argument("scenario")


def add_parser(subparsers: Any) -> None:
    """Register ``sandbox`` with its sub-commands on an argparse sub-parsers object."""
    p = subparsers.add_parser(
        "sandbox",
        help="simulated Kubernetes cluster with incident scenarios",
        description="Simulated Kubernetes API server driven by incident scenarios.",
    )
    sub = p.add_subparsers(dest="sandbox_command", metavar="{up,list,incident,expected}")
    sub.required = True
    _add_commands(sub)
    p.set_defaults(sandbox_run=run)


def run(args: argparse.Namespace) -> int:
    cmd = getattr(args, "sandbox_command", None)
    try:
        if cmd == "list":
            return _list()
        if cmd == "incident":
            print(json.dumps(load_scenario(args.scenario).incident_payload, indent=2))
            return 0
        if cmd == "expected":
            print(json.dumps(load_scenario(args.scenario).expected, indent=2))
            return 0
        if cmd == "up":
            return _up(args)
    except ScenarioError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print("error: expected one of: up, list, incident, expected", file=sys.stderr)
    return 2


def _list() -> int:
    for name in list_scenarios():
        scn = load_scenario(name)
        exp = scn.expected
        action = exp.get("action")
        what = f"{action['verb']} {action['target']} -n {action['namespace']}" if action else exp["outcome"]
        print(f"{name:24} {exp['severity']:8} {what:48} {scn.title}")
    return 0


def _up(args: argparse.Namespace) -> int:
    from sandbox.testing import start_sandbox

    kubeconfig = args.kubeconfig
    tmpdir = None
    if not kubeconfig:
        tmpdir = tempfile.mkdtemp(prefix="sandbox-kube-")
        kubeconfig = str(Path(tmpdir) / "kubeconfig")
    sb = start_sandbox(
        args.scenario, speed=args.speed, port=args.port, kubeconfig_path=kubeconfig, log_requests=args.log_requests
    )
    print(f"export KUBECONFIG={sb.kubeconfig_path}", flush=True)
    scn = sb.scenario
    inc = scn.incident["event"]["incident"]
    print(f"# sandbox cluster for scenario {scn.name!r} at {sb.url} (namespace {scn.namespace})")
    print(f"# incident {inc['id']}: {inc['title']}")
    print("# try: kubectl get pods; kubectl get events; kubectl top pods. Ctrl-C stops the cluster.", flush=True)
    done = threading.Event()

    def _stop(signum: int, frame: Any) -> None:
        done.set()

    previous = signal.signal(signal.SIGTERM, _stop)
    try:
        while not done.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        sb.stop()
        if tmpdir:
            import shutil

            shutil.rmtree(tmpdir, ignore_errors=True)
    print("# sandbox stopped", flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m sandbox", description="Simulated Kubernetes API server driven by incident scenarios."
    )
    sub = parser.add_subparsers(dest="sandbox_command", metavar="{up,list,incident,expected}")
    sub.required = True
    _add_commands(sub)
    return run(parser.parse_args(argv))
