"""A local HTTP server that speaks the Anthropic Messages API (POST /v1/messages), scripted.

Each request takes the next :class:`Turn` from the script (a ``Turn`` or a function of the
request body returning one). The official SDK talks to it through ``ANTHROPIC_BASE_URL``.
Usage mimics prompt caching: once a request marks its system prompt and tool list with
``cache_control``, later requests with the same prefix report it as ``cache_read_input_tokens``.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Turn:
    text: str | None = None
    tool_calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    status: int = 200
    error_type: str = "api_error"
    delay: float = 0.0


Script = list[Turn | Callable[[dict[str, Any]], Turn]]


class ScriptedServer:
    """Base: a threaded HTTP server on 127.0.0.1 that replays a script and records requests."""

    path = "/"

    def __init__(self, script: Script) -> None:
        self.script = list(script)
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self._lock = threading.Lock()
        self._counter = 0
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                status, payload, delay = owner._handle(self.path, dict(self.headers), body)
                if delay:
                    time.sleep(delay)
                data = json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout tests)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def next_id(self, prefix: str) -> str:
        self._counter += 1
        return f"{prefix}{self._counter:04d}"

    def _handle(self, path: str, headers: dict[str, str], body: dict[str, Any]) -> tuple[int, dict[str, Any], float]:
        with self._lock:
            if not path.rstrip("/").endswith(self.path):
                return 404, {"error": {"type": "not_found_error", "message": path}}, 0.0
            self.requests.append(body)
            self.headers.append({k.lower(): v for k, v in headers.items()})
            if not self.script:
                return 500, self.error_body("api_error", "script exhausted"), 0.0
            step = self.script.pop(0)
            turn = step(body) if callable(step) else step
            if turn.status != 200:
                return turn.status, self.error_body(turn.error_type, f"scripted {turn.status}"), turn.delay
            return 200, self.reply(body, turn), turn.delay

    def error_body(self, error_type: str, message: str) -> dict[str, Any]:
        raise NotImplementedError

    def reply(self, body: dict[str, Any], turn: Turn) -> dict[str, Any]:
        raise NotImplementedError

    def start(self) -> ScriptedServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> Any:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def tool_results(body: dict[str, Any]) -> list[dict[str, Any]]:
    """Every tool_result block of an Anthropic request, oldest first."""
    out = []
    for msg in body.get("messages", []):
        content = msg.get("content")
        if isinstance(content, list):
            out += [b for b in content if b.get("type") == "tool_result"]
    return out


class FakeAnthropic(ScriptedServer):
    path = "/v1/messages"

    def __init__(self, script: Script) -> None:
        super().__init__(script)
        self._cached_prefix: str | None = None

    def error_body(self, error_type: str, message: str) -> dict[str, Any]:
        return {"type": "error", "error": {"type": error_type, "message": message}}

    def _usage(self, body: dict[str, Any]) -> dict[str, int]:
        system, tools = body.get("system"), body.get("tools") or []
        prefix = json.dumps([system, tools], sort_keys=True)
        marked = isinstance(system, list) and any("cache_control" in b for b in system)
        marked = marked and (not tools or "cache_control" in tools[-1])
        prefix_tokens = len(prefix) // 4
        total = len(json.dumps(body)) // 4
        created = read = 0
        if marked and self._cached_prefix == prefix:
            read = prefix_tokens
        elif marked:
            created = prefix_tokens
            self._cached_prefix = prefix
        return {
            "input_tokens": total - created - read,
            "cache_creation_input_tokens": created,
            "cache_read_input_tokens": read,
        }

    def reply(self, body: dict[str, Any], turn: Turn) -> dict[str, Any]:
        content: list[dict[str, Any]] = []
        if turn.text is not None:
            content.append({"type": "text", "text": turn.text})
        for name, arguments in turn.tool_calls:
            content.append({"type": "tool_use", "id": self.next_id("toolu_"), "name": name, "input": arguments})
        usage = self._usage(body)
        usage["output_tokens"] = max(1, len(json.dumps(content)) // 4)
        return {
            "id": self.next_id("msg_"),
            "type": "message",
            "role": "assistant",
            "model": body.get("model"),
            "content": content,
            "stop_reason": "tool_use" if turn.tool_calls else "end_turn",
            "stop_sequence": None,
            "usage": usage,
        }
