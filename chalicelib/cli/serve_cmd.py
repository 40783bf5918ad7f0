"""``aofctl serve``: the app's HTTP routes on localhost with the embedded engine behind them.

The routes are ``app.py``'s own Chalice app, served by chalice's local gateway (the same code
path ``chalice local`` uses) on a threading HTTP server, so the embedded mode cannot drift from
what API Gateway runs. Webhooks start runs on the engine (SQLite under the state directory);
runs go on in the background and resume after a restart; Slack callbacks resolve approvals.

Each request is logged as method, path (no query string), status and duration: headers and
bodies carry tokens and are never logged.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import signal
import sys
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from types import FrameType
from typing import Any, TextIO
from urllib.parse import urlsplit

from .. import settings
from ..reports import Scheduler, daily_analysis_jobs
from ..web import Backend, install
from ..webhooks.limits import limit_for
from ..webhooks.pagerduty_auth import PagerDutyAuthConfig
from .bounded_body import BodyRefused, check_declared_length, linger, read_bounded_body
from .console_setup import add_console_arguments, announce, build_console

# Imported when the server starts, not when ``aofctl`` does: the embedded composition root
# (36 ms) and Chalice's local server (13 ms; ``chalice.config`` 3 ms).

SHUTDOWN_GRACE_SECONDS = 5.0
ROUTES = ("GET /healthz", "POST /pagerduty/webhook", "POST /slack/interactivity", "POST /slack/events")


def load_chalice_app() -> Any:
    """``app.py``'s Chalice app, found next to ``chalicelib`` (the current directory may be anywhere)."""
    path = Path(__file__).resolve().parents[2] / "app.py"
    spec = importlib.util.spec_from_file_location("app", path)
    if spec is None or spec.loader is None:
        raise FileNotFoundError(f"cannot load the Chalice app from {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("app", module)
    spec.loader.exec_module(module)
    return module.app


class RequestLog:
    """Thread-safe one-line request log."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.lock = threading.Lock()

    def line(self, text: str) -> None:
        with self.lock:
            self.out.write(text + "\n")
            self.out.flush()


def make_server(app_obj: Any, host: str, port: int, log: RequestLog, console: Any = None) -> Any:
    """A chalice ``LocalDevServer`` for ``app_obj`` that takes many concurrent connections.

    ``console`` (a :class:`chalicelib.console.Console`) answers the paths under ``/console``."""
    from chalice.config import Config
    from chalice.local import (
        ChaliceRequestHandler,
        CustomLocalChalice,
        LocalChalice,
        LocalDevServer,
        ThreadedHTTPServer,
    )

    class Server(ThreadedHTTPServer):
        # socketserver's default backlog is 5: a burst of webhooks would see refused connections.
        request_queue_size = 1024
        allow_reuse_address = True

    class Handler(ChaliceRequestHandler):
        def _timed(self) -> None:
            self._started = time.monotonic()
            # -- run console mount point: /console/* is answered by chalicelib.console, which
            # writes its own responses (its live pages are event streams Chalice cannot send;
            # its POSTs carry their own 1 KB limit).
            if console is not None and console.owns(self.path):
                console.handle(self)
                return
            try:
                self._generic_handle()
            except BodyRefused as refused:
                self._refuse(refused)

        def handle_expect_100(self) -> bool:
            # A client that asks before sending its body is told 413 instead of "continue".
            try:
                check_declared_length(self.headers, limit_for(urlsplit(self.path).path))
            except BodyRefused as refused:
                self._refuse(refused)
                return False
            return bool(super().handle_expect_100())

        def _parse_payload(self) -> tuple[dict[str, str], bytes | None]:
            # Chalice reads whatever Content-Length says, into memory, before any route runs.
            return read_bounded_body(self.headers, self.rfile, limit_for(urlsplit(self.path).path))

        def _refuse(self, refused: BodyRefused) -> None:
            body = json.dumps(refused.error.to_dict()).encode()
            self.send_response(refused.error.status_code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(body)
            self.wfile.flush()
            self.close_connection = True
            linger(self.connection)

        do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = do_PATCH = do_OPTIONS = _timed

        def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
            took = (time.monotonic() - getattr(self, "_started", time.monotonic())) * 1000
            path = urlsplit(self.path).path
            log.line(f"{self.client_address[0]} {self.command} {path} {code} {took:.0f}ms")

        def log_message(self, format: str, *args: Any) -> None:
            # BaseHTTPRequestHandler's messages include the raw request line: keep to our format.
            log.line(f"{self.client_address[0]} {(format % args).split(chr(34))[0].strip()}")

    # Per-thread current_request, as `chalice local` does: requests run concurrently.
    if not isinstance(app_obj, LocalChalice):
        CustomLocalChalice.__bases__ = (LocalChalice, app_obj.__class__)
        app_obj.__class__ = CustomLocalChalice
    config = Config.create(app_name=getattr(app_obj, "app_name", "aof"), lambda_timeout=900)
    return LocalDevServer(app_obj, config, host, port, handler_cls=Handler, server_cls=Server)


def configuration_lines(env: Mapping[str, str], app: Any, state_dir: Path) -> list[str]:
    """What is configured, by name only: secrets are reported as set or unset, never shown."""
    auth = PagerDutyAuthConfig.from_env(env)
    methods = (["Bearer token (PAGERDUTY_WEBHOOK_TOKEN)"] if auth.bearer_token else []) + (
        [f"v3 signature ({len(auth.signing_secrets)} secret(s) in PAGERDUTY_WEBHOOK_SECRET)"]
        if auth.signing_secrets
        else []
    )
    slack_real = bool(settings.resolve(settings.SLACK_BOT_TOKEN, None, env))
    signing = bool(settings.resolve(settings.SLACK_SIGNING_SECRET, None, env))
    pagerduty_real = bool(settings.resolve(settings.PAGERDUTY_API_KEY, None, env))
    flows = []
    for name, flow in app.resources.flows.items():
        path = getattr(flow.spec.trigger.config, "path", None)
        limit = flow.spec.rate_limit.max_concurrent if flow.spec.rate_limit else None
        flows.append(
            f"{name}" + (f" (webhook {path})" if path else "") + (f", at most {limit} at once" if limit else "")
        )
    unfinished = len(app.engine.list_executions(status="RUNNING")) + len(app.engine.list_executions(status="QUEUED"))
    return [
        "  routes:    " + ", ".join(ROUTES),
        "  flows:     " + ("; ".join(flows) or "none"),
        "  webhook:   "
        + (" or ".join(methods) if methods else "NO authentication configured: deliveries are refused (401)"),
        "  slack:     "
        + ("posting with SLACK_BOT_TOKEN" if slack_real else "messages printed here (SLACK_BOT_TOKEN is not set)"),
        "  callbacks: "
        + (
            "Slack requests verified with SLACK_SIGNING_SECRET"
            if signing
            else "SLACK_SIGNING_SECRET is not set: Slack callbacks are refused; use aofctl approve"
        ),
        "  pagerduty: "
        + (
            "API calls with PAGERDUTY_API_KEY" if pagerduty_real else "API calls printed (PAGERDUTY_API_KEY is not set)"
        ),
        f"  state:     {state_dir} (engine.db, aof.db); {unfinished} unfinished run(s) resumed",
        f"  approve:   aofctl approve RUN_ID --decision approve|pause|skip --state-dir {state_dir}",
    ]


def serve(args: argparse.Namespace) -> int:
    # Before any engine worker starts. chalice.local imports through six.moves, whose import hook
    # imports modules while holding Python's global import lock; a worker importing at the same
    # moment (a run resumed after a restart, loading an HTTP client) then deadlocks with it: a
    # restarted `aofctl serve` that never printed its banner.
    import chalice.local  # noqa: F401

    from ..service.local import LocalApp

    env = dict(os.environ)
    state_dir = Path(args.state_dir) if args.state_dir else settings.state_dir(env)
    out = sys.stdout
    try:
        app_obj = load_chalice_app()
        app = LocalApp(args.paths or None, env=env, state_dir=state_dir, out=out, max_workers=args.workers)
    except Exception as error:  # a bad flow file or an unreadable state dir: say so and stop
        print(f"error: cannot start: {error}", file=sys.stderr)
        return 1
    install(Backend(env, local_app=app))
    console = build_console(args, app)  # the run console, mounted under /console

    # The tutorial's daily post-incident report, on the engine's own clock.
    scheduler = Scheduler(daily_analysis_jobs(app.resources, app.store, app.deps.notifier, app.env))
    scheduler.start()
    log = RequestLog(out)
    try:
        server = make_server(app_obj, args.host, args.port, log, console)
    except OSError as error:
        print(f"error: cannot listen on {args.host}:{args.port}: {error}", file=sys.stderr)
        scheduler.stop()
        app.close()
        return 1
    host, port = server.server.server_address[:2]
    log.line(f"aofctl serve: the app's routes on the embedded engine, pid {os.getpid()}")
    for text in configuration_lines(env, app, state_dir.resolve()):
        log.line(text)
    announce(console, f"http://{host}:{port}", log.line, getattr(args, "open_browser", False))
    log.line(f"aofctl serve: listening on http://{host}:{port} (Ctrl-C to stop)")

    def stop(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        server.server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        log.line("aofctl serve: stopping (runs in progress resume at the next start)")
    finally:
        signal.signal(signal.SIGTERM, previous)
        console.close()
        server.server.server_close()
        install(None)
        scheduler.stop()
    return _shut_down(app, log)


def _shut_down(app: Any, log: RequestLog, grace: float = SHUTDOWN_GRACE_SECONDS) -> int:
    """Let tasks in flight finish for a moment, then leave.

    Leaving with a task still running is what a crash does, which the engine is built for: the
    task runs again at the next start with the same idempotency key. So we do not wait for a
    remediation that monitors for minutes.
    """
    closer = threading.Thread(target=app.close, name="aof-serve-close", daemon=True)
    closer.start()
    closer.join(timeout=grace)
    if closer.is_alive():
        log.line("aofctl serve: tasks still running; they run again at the next start")
        sys.stdout.flush()
        os._exit(0)
    return 0


def add_server_arguments(parser: argparse.ArgumentParser) -> None:
    """What ``serve`` and ``console`` both take: where to listen, the state and the resources."""
    parser.add_argument("--port", type=int, default=8000, help="port to listen on (0: any free port)")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--state-dir", help="where the embedded engine keeps its SQLite files (AOF_STATE_DIR)")
    parser.add_argument(
        "-f", "--file", dest="paths", action="append", help="resources to load (default agents/ flows/)"
    )
    parser.add_argument("--workers", type=int, default=8, help="runs the engine advances at the same time")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("serve", help="the app's HTTP routes on localhost, embedded engine behind them")
    add_server_arguments(parser)
    add_console_arguments(parser)
    parser.set_defaults(handler=serve)
