"""Processes a test starts: never left behind, never at the mercy of the parent's signals.

Every process is started through a tiny launcher that puts SIGINT back to its default before
the real program starts. A shell that ignores SIGINT (``trap "" INT``, or a background job of a
script) passes that on to its children, and a Python program started with SIGINT ignored never
sees Ctrl-C: a test that stops ``aofctl serve`` with SIGINT would then wait forever. Each
process gets a session of its own, so the finaliser can end it with everything it started
(``kubectl`` calls, a background run) by killing its process group.

``Processes`` (the ``processes`` fixture) stops every process it started when the test ends,
whatever the outcome: SIGTERM, then SIGKILL for the whole group.

``Terminal`` runs a command in a pseudo-terminal that is its controlling terminal, so a
Ctrl-C typed there reaches it as it does at a keyboard (the terminal sends SIGINT to the
foreground process group).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

#: Runs ``argv[1:]`` with SIGINT at its default; with ``--tty``, fd 0 (a pty) becomes the
#: controlling terminal first. exec keeps a default disposition, so the program starts with it.
LAUNCHER = (
    "import os, signal, sys\n"
    "signal.signal(signal.SIGINT, signal.SIG_DFL)\n"
    "args = sys.argv[1:]\n"
    "if args[0] == '--tty':\n"
    "    import fcntl, termios\n"
    "    fcntl.ioctl(0, termios.TIOCSCTTY, 0)\n"
    "    args = args[1:]\n"
    "os.execvp(args[0], args)\n"
)


def launch(command: Sequence[str], *, tty: bool = False) -> list[str]:
    return [sys.executable, "-c", LAUNCHER, *(["--tty"] if tty else []), *command]


def stop_process(process: subprocess.Popen[Any], grace: float = 10.0) -> None:
    """End ``process`` and its process group: SIGTERM, then SIGKILL after ``grace`` seconds.

    The group is signalled only while the process is not yet reaped (an exited process stays a
    zombie until then), so its id cannot belong to anybody else yet.
    """
    if process.returncode is None:
        if not exited(process.pid, 0):
            _signal_group(process.pid, signal.SIGTERM)
            exited(process.pid, grace)
        _signal_group(process.pid, signal.SIGKILL)  # what is left of the group, the process too
        # A signal is delivered asynchronously: return once nothing of the group runs any more.
        _group_gone(process.pid, grace)
    process.wait(timeout=grace)


def _group_gone(pgid: int, timeout: float) -> bool:
    """Has every process of group ``pgid`` ended (zombies count as ended), within ``timeout`` s?"""
    deadline = time.monotonic() + timeout
    while _group_running(pgid):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.02)
    return True


def _group_running(pgid: int) -> bool:
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii") as stat:
                state, _ppid, group = stat.read().rsplit(")", 1)[1].split()[:3]
        except (OSError, ValueError):
            continue
        if group == str(pgid) and state not in ("Z", "X"):
            return True
    return False


def exited(pid: int, timeout: float) -> bool:
    """Has child ``pid`` exited (within ``timeout`` seconds)? It is not reaped (WNOWAIT)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None:
                return True
        except ChildProcessError:
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)


def alive(pid: int) -> bool:
    """Is ``pid`` running (a zombie has ended: only its exit status is left)?"""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def _signal_group(pgid: int, signum: int) -> None:
    try:
        os.killpg(pgid, signum)
    except (ProcessLookupError, PermissionError):
        pass


class Terminal:
    """A command in a pseudo-terminal; its output is read on a thread into :attr:`text`."""

    def __init__(self, command: Sequence[str], *, env: dict[str, str], cwd: str | Path) -> None:
        master, slave = os.openpty()
        self._master = master
        self._chunks: list[bytes] = []
        self._lock = threading.Lock()
        try:
            self.process = subprocess.Popen(
                launch(command, tty=True),
                stdin=slave,
                stdout=slave,
                stderr=slave,
                env=env,
                cwd=cwd,
                start_new_session=True,
            )
        except BaseException:
            os.close(master)
            raise
        finally:
            os.close(slave)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while True:
            try:
                chunk = os.read(self._master, 4096)
            except OSError:  # EIO: every holder of the terminal's other side has exited
                return
            if not chunk:
                return
            with self._lock:
                self._chunks.append(chunk)

    @property
    def text(self) -> str:
        with self._lock:
            data = b"".join(self._chunks)
        return data.decode("utf-8", "replace").replace("\r\n", "\n")

    def wait_for(self, marker: str, timeout: float = 120.0) -> str:
        """Block until ``marker`` appears in the output (the output so far), or fail with it."""
        deadline = time.monotonic() + timeout
        while marker not in self.text:
            if self.process.poll() is not None and marker not in self.text:
                self._reader.join(timeout=5)
                if marker in self.text:
                    break
                raise AssertionError(f"exited ({self.process.returncode}) before {marker!r}:\n{self.text}")
            if time.monotonic() > deadline:
                raise AssertionError(f"no {marker!r} within {timeout}s:\n{self.text}")
            time.sleep(0.05)
        return self.text

    def ctrl_c(self) -> None:
        """Type Ctrl-C: the terminal sends SIGINT to the program in the foreground."""
        os.write(self._master, b"\x03")

    def wait(self, timeout: float = 120.0) -> int:
        """The exit status; anything the command left running in its group is killed."""
        if not exited(self.process.pid, timeout):
            raise subprocess.TimeoutExpired(self.process.args, timeout, output=self.text)
        _signal_group(self.process.pid, signal.SIGKILL)
        code = self.process.wait(timeout=10)
        self._reader.join(timeout=10)
        return code

    def close(self) -> None:
        try:
            stop_process(self.process)
        finally:
            self._reader.join(timeout=5)
            os.close(self._master)


class Processes:
    """Starts processes for one test and stops all of them at its end."""

    def __init__(self) -> None:
        self._started: list[subprocess.Popen[Any]] = []
        self._terminals: list[Terminal] = []
        self._adopted: list[int] = []

    def start(self, command: Sequence[str], **popen: Any) -> subprocess.Popen[Any]:
        process: subprocess.Popen[Any] = subprocess.Popen(launch(command), start_new_session=True, **popen)
        self._started.append(process)
        return process

    def terminal(self, command: Sequence[str], *, env: dict[str, str], cwd: str | Path) -> Terminal:
        terminal = Terminal(command, env=env, cwd=cwd)
        self._terminals.append(terminal)
        return terminal

    def adopt(self, pid: int) -> None:
        """A process the product started in a session of its own (``aofctl run --detach``):
        its group is killed at the end too, if it is still running then."""
        self._adopted.append(pid)

    def stop_all(self) -> None:
        errors: list[BaseException] = []
        for terminal in self._terminals:
            try:
                terminal.close()
            except BaseException as error:  # stop the others all the same
                errors.append(error)
        for process in self._started:
            try:
                stop_process(process)
            except BaseException as error:
                errors.append(error)
        for pid in self._adopted:
            if alive(pid):
                _signal_group(pid, signal.SIGKILL)
                _group_gone(pid, 10)
        if errors:
            raise errors[0]


@pytest.fixture
def processes() -> Iterator[Processes]:
    """Start processes with ``processes.start(...)`` / ``processes.terminal(...)``; all are
    stopped when the test ends, passed or failed."""
    started = Processes()
    try:
        yield started
    finally:
        started.stop_all()
