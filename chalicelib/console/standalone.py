"""The console on its own small HTTP server, in a background thread, for a process that has a
LocalApp but no ``aofctl serve`` (``make demo``, tests)."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from .server import Console


class ConsoleServer:
    """Serves ``console`` on ``host:port`` (0: any free port) until :meth:`close`."""

    def __init__(self, console: Console, host: str = "127.0.0.1", port: int = 0) -> None:
        self.console = console

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if console.owns(self.path):
                    console.handle(self)
                else:
                    self.send_error(404)

            do_POST = do_HEAD = do_GET

            def log_message(self, format: str, *args: Any) -> None:
                pass  # request lines carry the sign-in token; nothing is logged

        self.server = ThreadingHTTPServer((host, port), Handler)
        self.url = f"http://{host}:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, name="aof-console", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.console.close()
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=5)
