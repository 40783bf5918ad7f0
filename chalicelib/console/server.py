"""The console's HTTP side: one entry point, :meth:`Console.handle`, that any
``BaseHTTPRequestHandler`` calls for paths under ``/console`` (``aofctl serve`` mounts it in
front of the Chalice routes; tests can mount it on a plain server).

It writes its own responses because a page following a run is a long-lived server-sent
event stream, which a buffered Chalice response cannot be.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from importlib import resources
from typing import Any
from urllib.parse import parse_qs, unquote, urlencode, urlsplit

from chalicelib.engine.errors import TaskDoesNotExist, TaskTimedOut

from ..reports.redact import Redactor
from . import pages
from .auth import CSRF_HEADER, ConsoleAuth, Person, origin_ok
from .data import ConsoleData

logger = logging.getLogger(__name__)

PREFIX = "/console"
STATIC = {"console.js": "text/javascript; charset=utf-8", "console.css": "text/css; charset=utf-8"}
LIVE_POLL_SECONDS = 0.4
LIVE_HEARTBEAT_SECONDS = 15.0
MAX_POST_BYTES = 1024
PAGE_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
# The postmortem page is the report's self-contained HTML (inline styles, no script).
REPORT_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'; base-uri 'none'"

Resolve = Callable[[str, str, str, datetime, str], Any]


class Console:
    def __init__(
        self,
        auth: ConsoleAuth,
        data: ConsoleData,
        resolve: Resolve,
        env: Mapping[str, str],
        postmortem_page: Callable[[str], str | None] | None = None,
    ) -> None:
        self.auth = auth
        self.data = data
        self.resolve = resolve
        self.redactor = Redactor(env)
        self.postmortem_page = postmortem_page
        self.closing = threading.Event()

    @staticmethod
    def owns(path: str) -> bool:
        route = urlsplit(path).path
        return route == PREFIX or route.startswith(PREFIX + "/")

    def close(self) -> None:
        """Ends the live streams (the server is stopping)."""
        self.closing.set()

    def urls(self, base: str) -> list[tuple[str, str]]:
        """(person, the URL that signs them in) for the start banner."""
        return [(p.name, f"{base}{PREFIX}/?{urlencode({'token': p.token})}") for p in self.auth.people]

    # -- dispatch ---------------------------------------------------------------------------

    def handle(self, h: BaseHTTPRequestHandler) -> None:
        try:
            self._handle(h)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the browser went away
        except Exception as error:  # one broken page must not take the server's thread down
            logger.exception("console: %s %s failed", h.command, urlsplit(h.path).path)
            try:
                self._send(
                    h, 500, pages.message_page("Error", f"The console could not answer ({type(error).__name__}).")
                )
            except OSError:
                pass

    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        split = urlsplit(h.path)
        parts = [unquote(p) for p in split.path[len(PREFIX) :].split("/") if p]
        query = {k: v[0] for k, v in parse_qs(split.query).items()}
        if h.command == "GET" and len(parts) == 2 and parts[0] == "static" and parts[1] in STATIC:
            return self._static(h, parts[1])
        if "token" in query:
            return self._sign_in(h, split.path, query)
        person = self.auth.person_from_cookie(h.headers.get("Cookie"), h.headers.get("Host"))
        if person is None:
            return self._send(
                h,
                401,
                pages.message_page(
                    "Sign in", "Open the console with the URL aofctl serve printed at start (it carries your token)."
                ),
            )
        if h.command == "POST":
            return self._post(h, person, parts)
        if h.command not in ("GET", "HEAD"):
            return self._send(h, 405, pages.message_page("Not allowed", f"{h.command} is not served here."))
        return self._get(h, person, parts, query)

    def _sign_in(self, h: BaseHTTPRequestHandler, path: str, query: dict[str, str]) -> None:
        person = self.auth.person_for(query.pop("token"))
        if person is None or h.command != "GET":
            return self._send(
                h, 401, pages.message_page("Sign in", "That console token is not valid (tokens change at each start).")
            )
        rest = urlencode(query)
        h.send_response(303)
        h.send_header("Location", path + (f"?{rest}" if rest else ""))
        h.send_header("Set-Cookie", self.auth.cookie_header(person, h.headers.get("Host")))
        self._common_headers(h, PAGE_POLICY)
        h.send_header("Content-Length", "0")
        h.end_headers()

    def _get(self, h: BaseHTTPRequestHandler, person: Person, parts: list[str], query: dict[str, str]) -> None:
        flows = sorted(self.data.definitions)

        def page(title: str, body: str) -> None:
            self._send(h, 200, pages.layout(title, person.name, self.auth.form_token(person), body, flows))

        if not parts:
            try:
                number = int(query.get("page", "1"))
            except ValueError:
                number = 1
            listing = self.data.runs_page(query.get("flow") or None, query.get("status") or None, number)
            return page("Runs", pages.runs_page(listing))
        if parts[0] == "flows" and len(parts) == 2:
            view = self.data.flow_view(parts[1])
            if view is None:
                return self._not_found(h)
            return page(f"Flow {parts[1]}", pages.flow_page(parts[1], view))
        if parts[0] != "runs" or len(parts) < 2:
            return self._not_found(h)
        run_id = parts[1]
        if len(parts) == 2:
            run_view = self.data.run_view(run_id)
            if run_view is None:
                return self._not_found(h)
            return page(f"Run {run_id}", pages.run_page(run_view, self.data.postmortem(run_view)))
        if len(parts) == 3 and parts[2] == "panels":
            run_view = self.data.run_view(run_id)
            if run_view is None:
                return self._not_found(h)
            return self._send(h, 200, pages.panels(run_view, self.data.postmortem(run_view)))
        if len(parts) == 3 and parts[2] == "live":
            return self._live(h, run_id)
        if len(parts) == 4 and parts[2] == "states":
            state = self.data.state(run_id, parts[3])
            if state is None:
                return self._not_found(h)
            return self._send(h, 200, json.dumps(state, default=str), "application/json")
        if len(parts) == 3 and parts[2] == "artifact":
            # A change's snapshot (or any artifact of this run), as text: never rendered as HTML.
            content = self.data.artifact(run_id, query.get("ref", ""))
            if content is None:
                return self._not_found(h)
            return self._send(h, 200, content, "text/plain; charset=utf-8")
        if len(parts) == 3 and parts[2] == "postmortem" and self.postmortem_page is not None:
            report = self.postmortem_page(run_id)
            if report is None:
                return self._not_found(h)
            return self._send(h, 200, self.redactor.text(report), policy=REPORT_POLICY)
        return self._not_found(h)

    # -- approvals --------------------------------------------------------------------------

    def _post(self, h: BaseHTTPRequestHandler, person: Person, parts: list[str]) -> None:
        # Cross-site requests stop here: a foreign Origin, or no form token (a header that a
        # form on another site cannot send, and that only this server's pages know).
        if not origin_ok(h.headers.get("Origin"), h.headers.get("Host")):
            return self._json(h, 403, {"applied": False, "message": "refused: the request came from another site"})
        if not self.auth.form_token_ok(person, h.headers.get(CSRF_HEADER)):
            return self._json(h, 403, {"applied": False, "message": "refused: missing or wrong form token"})
        if len(parts) != 4 or parts[0] != "runs" or parts[2] != "approvals":
            return self._json(h, 404, {"applied": False, "message": "no such approval"})
        try:
            length = int(h.headers.get("Content-Length") or "0")
        except ValueError:
            length = -1
        if not 0 <= length <= MAX_POST_BYTES:
            return self._json(h, 413, {"applied": False, "message": f"a decision is at most {MAX_POST_BYTES} bytes"})
        try:
            body = json.loads(h.rfile.read(length) or b"{}")
            decision = str(body.get("decision", ""))
        except (ValueError, AttributeError):
            return self._json(h, 400, {"applied": False, "message": 'send {"decision": "approve|pause|skip"}'})
        run_id, approval_id = parts[1], parts[3]
        if self.data.pending_approval(run_id, approval_id) is None:
            return self._json(h, 404, {"applied": False, "message": f"run {run_id} has no approval {approval_id}"})
        caller = f"console session of {person.name} from {h.client_address[0]}"

        try:
            result = self.resolve(approval_id, decision, person.name, datetime.now(UTC), caller)
        except (TaskTimedOut, TaskDoesNotExist) as error:
            return self._json(h, 409, {"applied": False, "message": f"refused: the run stopped waiting ({error})"})
        message = result.message if result.applied else f"refused: {result.message}"
        return self._json(h, 200 if result.applied else 409, {"applied": result.applied, "message": message})

    # -- live -------------------------------------------------------------------------------

    def _live(self, h: BaseHTTPRequestHandler, run_id: str) -> None:
        first = self.data.live(run_id)
        if first is None:
            return self._not_found(h)
        h.send_response(200)
        h.send_header("Content-Type", "text/event-stream; charset=utf-8")
        h.send_header("Connection", "close")
        self._common_headers(h, PAGE_POLICY)
        h.end_headers()
        h.close_connection = True
        last: str | None = None
        beat = time.monotonic()
        snapshot: dict[str, Any] | None = first
        while snapshot is not None and not self.closing.is_set():
            text = json.dumps(snapshot, sort_keys=True, default=str)
            if text != last:
                h.wfile.write(f"data: {text}\n\n".encode())
                h.wfile.flush()
                last, beat = text, time.monotonic()
            elif time.monotonic() - beat > LIVE_HEARTBEAT_SECONDS:
                h.wfile.write(b": still here\n\n")  # finds a closed browser tab, keeps proxies open
                h.wfile.flush()
                beat = time.monotonic()
            if snapshot.get("finished"):
                h.wfile.write(b"event: done\ndata: {}\n\n")
                h.wfile.flush()
                return
            self.closing.wait(LIVE_POLL_SECONDS)
            snapshot = self.data.live(run_id)

    # -- responses --------------------------------------------------------------------------

    def _static(self, h: BaseHTTPRequestHandler, name: str) -> None:
        body = resources.files(__package__).joinpath("static", name).read_bytes()
        self._send(h, 200, body, STATIC[name])

    def _not_found(self, h: BaseHTTPRequestHandler) -> None:
        self._send(h, 404, pages.message_page("Not found", "Nothing here."))

    def _json(self, h: BaseHTTPRequestHandler, status: int, document: dict[str, Any]) -> None:
        self._send(h, status, json.dumps(self.redactor.value(document)), "application/json")

    def _common_headers(self, h: BaseHTTPRequestHandler, policy: str) -> None:
        h.send_header("Content-Security-Policy", policy)
        h.send_header("X-Content-Type-Options", "nosniff")
        h.send_header("X-Frame-Options", "DENY")
        h.send_header("Referrer-Policy", "no-referrer")
        h.send_header("Cache-Control", "no-store")

    def _send(
        self,
        h: BaseHTTPRequestHandler,
        status: int,
        body: str | bytes,
        content_type: str = "text/html; charset=utf-8",
        policy: str = PAGE_POLICY,
    ) -> None:
        data = body.encode() if isinstance(body, str) else body
        h.send_response(status)
        h.send_header("Content-Type", content_type)
        h.send_header("Content-Length", str(len(data)))
        self._common_headers(h, policy)
        h.end_headers()
        if h.command != "HEAD":
            h.wfile.write(data)
