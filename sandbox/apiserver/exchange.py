"""The HTTP exchange under every route: reading the body, writing JSON, text and chunked watch
frames, the query options every verb shares (dryRun, Table output), and the audit record."""

from __future__ import annotations

import json
import select
import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import yaml

from sandbox.apimachinery.errors import ApiError, bad_request
from sandbox.apimachinery.registry import Resource
from sandbox.cluster import Cluster


class ApiHttpServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64
    cluster: Cluster
    stopping: threading.Event
    log_requests: bool


class Exchange(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "sandbox-apiserver/1.0"
    server: ApiHttpServer
    query: dict[str, str]
    # The audit record of this request, if it writes; the router fills in the response code.
    _entry: dict[str, Any] | None = None

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.log_requests:
            sys.stderr.write(f"[sandbox] {self.address_string()} {format % args}\n")

    def _send_json(self, code: int, body: Any, content_type: str = "application/json") -> None:
        data = json.dumps(body, separators=(",", ":")).encode()
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-cache, private")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _send_text(self, code: int, text: str) -> None:
        data = text.encode()
        self.send_response(code)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _error(self, err: ApiError) -> None:
        self._send_json(err.code, err.status())

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            return self.rfile.read(length)
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        return b""

    def _json_body(self, raw: bytes) -> Any:
        if not raw:
            return {}
        try:
            return json.loads(raw)
        except ValueError:
            try:
                return yaml.safe_load(raw)
            except Exception as exc:
                raise bad_request(f"unable to decode request body: {exc}") from exc

    def _dry_run(self) -> bool:
        value = self.query.get("dryRun")
        if value is None or value == "":
            return False
        if value != "All":
            raise bad_request(f'Invalid dry run value: {value!r}: supported values: "All"')
        return True

    def _wants_table(self) -> bool:
        accept = self.headers.get("Accept", "")
        return "as=Table" in accept

    def _audit(
        self,
        verb: str,
        res: Resource,
        namespace: str,
        name: str,
        sub: str | None,
        dry_run: bool,
        body: Any,
        patch_type: str | None = None,
    ) -> None:
        entry = {
            "method": self.command,
            "verb": verb,
            "group": res.group,
            "resource": res.plural,
            "kind": res.kind,
            "subresource": sub,
            "namespace": namespace,
            "name": name,
            "dry_run": dry_run,
            "body": body,
            "patch_type": patch_type,
            "path": self.path,
            "user_agent": self.headers.get("User-Agent", ""),
            "code": None,
        }
        self._entry = entry
        self.server.cluster.record(entry)

    def _client_gone(self) -> bool:
        """The watching client closed its connection (readable socket with nothing to read)."""
        try:
            readable, _, _ = select.select([self.connection], [], [], 0)
            if not readable:
                return False
            return bool(self.connection.recv(1, socket.MSG_PEEK) == b"")
        except (OSError, ValueError):
            return True
