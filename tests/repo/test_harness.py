"""The test harness's processes: Ctrl-C reaches them whatever the shell running the tests
ignores, and none outlives its test, nor anything it started."""

from __future__ import annotations

import signal
import subprocess
import sys

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
