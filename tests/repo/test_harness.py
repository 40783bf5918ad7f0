"""The test harness's processes: Ctrl-C reaches them whatever the shell running the tests
ignores, none outlives its test, nor anything it started, and a server that hangs at start
fails the test with what it was doing."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.local.serve import conftest as serve
from tests.support.processes import Processes, alive

SLEEPER = "import time; print('ready', flush=True); time.sleep(120)"
PARENT = (
    "import subprocess, sys, time\n"
    "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)'])\n"
    "print(child.pid, flush=True)\n"
    "time.sleep(120)\n"
)


def test_ctrl_c_reaches_a_started_process_when_the_test_runner_ignores_it(processes: Processes) -> None:
    # As under `trap "" INT` or in a background job: children inherit an ignored SIGINT.
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        process = processes.start([sys.executable, "-c", SLEEPER], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    finally:
        signal.signal(signal.SIGINT, previous)
    assert process.stdout is not None and process.stdout.readline().strip() == b"ready"
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=20) == -signal.SIGINT  # ended by Ctrl-C, as Python reports it
    assert process.stderr is not None and b"KeyboardInterrupt" in process.stderr.read()


def test_stopping_ends_every_process_and_what_it_started() -> None:
    started = Processes()
    try:
        parent = started.start([sys.executable, "-c", PARENT], stdout=subprocess.PIPE, text=True)
        assert parent.stdout is not None
        child = int(parent.stdout.readline())
        assert alive(child)
    finally:
        started.stop_all()
    assert parent.returncode is not None
    assert not alive(child), "a process started by a started process outlived the test"


#: Stands in for ``python -m chalicelib.cli.main``: prints, then hangs without ever listening.
HANGS = ["-c", "import sys, time; print('loading the flows', flush=True); time.sleep(120)"]


def test_a_server_that_hangs_at_start_fails_the_test_with_its_output_and_stacks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(serve, "AOFCTL", [sys.executable, *HANGS])
    monkeypatch.setattr(serve, "START_SECONDS", 3.0)
    started: list[serve.Server] = []
    with pytest.raises(AssertionError) as failed:
        serve.Server(tmp_path, {"PATH": "/usr/bin:/bin"}, started=started)
    message = str(failed.value)
    assert "printed no 'listening on' within 3 s" in message
    assert "loading the flows" in message  # what the server printed
    # Every thread's stack, down to the line it hangs on (the sleep, line 1 of the -c script).
    assert "Current thread" in message and 'File "<string>", line 1 in <module>' in message
    assert not alive(started[0].proc.pid), "the hung server outlived its failed start"


def test_a_server_that_exits_at_start_fails_the_test_with_its_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    exits = ["-c", "import sys; print('no flows under flows/', flush=True); sys.exit(2)"]
    monkeypatch.setattr(serve, "AOFCTL", [sys.executable, *exits])
    with pytest.raises(AssertionError) as failed:
        serve.Server(tmp_path, {"PATH": "/usr/bin:/bin"})
    assert "exited (2) before listening" in str(failed.value)
    assert "no flows under flows/" in str(failed.value)
