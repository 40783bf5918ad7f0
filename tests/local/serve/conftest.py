"""A real ``aofctl serve`` process on a sandbox cluster, and readers for what it recorded."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

from chalicelib.engine.engine import execution_arn
from chalicelib.engine.events import to_history
from chalicelib.engine.store import EngineStore
from sandbox.testing import sandbox_factory  # noqa: F401  (fixture)
from tests.support.processes import exited, launch, stop_process

ROOT = Path(__file__).resolve().parents[3]
AOFCTL = [sys.executable, "-m", "chalicelib.cli.main"]
TOKEN = "test-webhook-token-7f3a"
FLOW = "incident-auto-response"
#: How long a start may take on a loaded machine before it counts as hung.
START_SECONDS = 90.0


class Server:
    """``aofctl serve`` in a subprocess; its output is collected on a thread (never a full pipe)."""

    def __init__(
        self, state_dir: Path, env: dict[str, str], extra: tuple[str, ...] = (), started: list[Server] | None = None
    ) -> None:
        # Registered before the process starts: a start that fails or hangs is still killed.
        if started is not None:
            started.append(self)
        self.state_dir = state_dir
        self.env = env
        self.lines: list[str] = []
        self.url = ""
        self.cmd = [*AOFCTL, "serve", "--port", "0", "--state-dir", str(state_dir), *extra]
        self._spawn()
        if not self._ready.wait(START_SECONDS) or not self.url:
            # A start that hangs is a bug to see, never one to retry past: the test fails with the
            # server's output and, when it is still running, every thread's stack.
            raise AssertionError(self._failed_start())

    def _spawn(self) -> None:
        self.lines = []
        self._ready = threading.Event()
        # faulthandler prints every thread's stack on SIGABRT (see _failed_start).
        env = {**self.env, "PYTHONFAULTHANDLER": "1"}
        # SIGINT at its default whatever the test runner's, and a process group to kill whole.
        self.proc = subprocess.Popen(
            launch(self.cmd),
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _failed_start(self) -> str:
        """Why the start failed, with the server's output; a server still running is made to
        print its threads' stacks (SIGABRT), then stopped."""
        hung = self._reader.is_alive()  # its output is still open: the server is still running
        if hung:
            os.kill(self.proc.pid, signal.SIGABRT)
            exited(self.proc.pid, 10)
        stop_process(self.proc)
        self._reader.join(timeout=5)
        if hung:
            return (
                f"aofctl serve printed no 'listening on' within {START_SECONDS:.0f} s; "
                f"its output and threads' stacks:\n{self.output}"
            )
        return f"aofctl serve exited ({self.proc.returncode}) before listening; its output:\n{self.output}"

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))
            if "listening on " in line:
                self.url = line.split("listening on ", 1)[1].split()[0]
                self._ready.set()
        self._ready.set()

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def post(self, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
        request = urllib.request.Request(self.url + path, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"{}")

    def post_incident(self, event_file: str, token: str = TOKEN) -> tuple[int, dict[str, Any]]:
        body = (ROOT / event_file).read_bytes()
        return self.post(
            "/pagerduty/webhook", body, {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        )

    def get(self, path: str) -> tuple[int, dict[str, Any]]:
        with urllib.request.urlopen(self.url + path, timeout=10) as response:
            return response.status, json.loads(response.read())

    def kill(self) -> None:
        """SIGKILL: no handler runs, nothing is flushed or closed (its process group goes too)."""
        proc = getattr(self, "proc", None)
        if proc is None:  # registered, but the process never started
            return
        if proc.returncode is None:  # not reaped yet: the pid is still this server's
            os.kill(proc.pid, signal.SIGKILL)
        stop_process(proc)
        self._reader.join(timeout=5)

    def terminate(self) -> int:
        """SIGTERM and its exit status; a server that does not stop in time is killed all the same."""
        try:
            if self.proc.returncode is None:
                os.kill(self.proc.pid, signal.SIGTERM)
                if not exited(self.proc.pid, 30):
                    raise AssertionError("aofctl serve did not stop within 30 s of SIGTERM:\n" + self.output)
        finally:
            stop_process(self.proc)  # reaps it, and kills whatever it left in its group
            self._reader.join(timeout=5)
        return self.proc.returncode


class History:
    """Reads the engine database (``engine.db``) the server writes, from the test process."""

    def __init__(self, state_dir: Path) -> None:
        self.path = state_dir / "engine.db"

    def events(self, run_id: str) -> list[dict[str, Any]]:
        store = EngineStore(self.path)
        try:
            return to_history(store.events(execution_arn(FLOW, run_id)))
        finally:
            store.close()

    def status(self, run_id: str) -> str | None:
        store = EngineStore(self.path)
        try:
            run = store.get_run(execution_arn(FLOW, run_id))
            return None if run is None else run.status
        finally:
            store.close()

    def per_state(self, run_id: str, event_type: str) -> Counter[str]:
        """How many ``event_type`` events each state has (task events name their state's TaskScheduled)."""
        counts: Counter[str] = Counter()
        current = ""
        for event in self.events(run_id):
            if event["type"].endswith("StateEntered"):
                current = event["stateEnteredEventDetails"]["name"]
            if event["type"] == event_type:
                counts[current] += 1
        return counts

    def entered(self, run_id: str) -> list[str]:
        return [
            e["stateEnteredEventDetails"]["name"] for e in self.events(run_id) if e["type"].endswith("StateEntered")
        ]


def wait_until(check: Callable[[], Any], timeout: float = 60.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


@pytest.fixture
def serve_env() -> Callable[[dict[str, str]], dict[str, str]]:
    def make(base: dict[str, str]) -> dict[str, str]:
        # A short watch after each change keeps the tests fast (the product default is 60 s).
        env = {**base, "PAGERDUTY_WEBHOOK_TOKEN": TOKEN, "PYTHONUNBUFFERED": "1", "AOF_MONITOR_SECONDS": "2"}
        for name in ("SLACK_BOT_TOKEN", "PAGERDUTY_API_KEY", "ANTHROPIC_API_KEY", "OPENAI_API_KEY", "SLACK_APPROVERS"):
            env.pop(name, None)
        return env

    return make


@pytest.fixture
def servers() -> Iterator[Callable[..., Server]]:
    """``start(state_dir, env, extra_args=()) -> Server``; every server started is killed at
    teardown, whatever the test's outcome (one that fails to stop does not spare the others)."""
    started: list[Server] = []

    def start(state_dir: Path, env: dict[str, str], extra: tuple[str, ...] = ()) -> Server:
        server = Server(state_dir, env, extra, started=started)
        return server

    try:
        yield start
    finally:
        with ExitStack() as stack:
            for server in started:
                stack.callback(server.kill)


def aofctl(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*AOFCTL, *args], cwd=ROOT, env={**env, "PYTHONPATH": os.fspath(ROOT)}, capture_output=True, text=True
    )
