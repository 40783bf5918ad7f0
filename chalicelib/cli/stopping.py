"""Ctrl-C in ``aofctl run``: the first press stops the run, the second leaves at once.

The first press only raises a flag; the main loop of ``aofctl run`` then stops the run the way
Step Functions' StopExecution does (see ``LocalApp.stop_run``) and waits for the step in flight:
a change already made is watched to the end and kept or rolled back, and the screen says which.
A second press writes what is still in flight and leaves with status 130 straight from the
signal handler, without waiting for anything.

The run's policy decisions and change watches are printed as they are recorded
(:class:`ChangeLines`), so what a stop leaves in flight is on the screen, not guessed.
"""

from __future__ import annotations

import os
import re
import signal
import sys
import threading
import time
from collections.abc import Callable
from datetime import datetime
from types import FrameType
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from ..service.local import LocalApp
    from ..store import RunEvent

EXIT_INTERRUPTED = 130  # 128 + SIGINT, as a shell reports a command ended by Ctrl-C

_TARGET = re.compile(r"(?P<target>\S+/\S+)(?: --replicas=\d+)? -n (?P<ns>\S+)$")


class StopKeys:
    """Counts Ctrl-C presses while installed (``with StopKeys(out) as keys``).

    The handler only counts: the main loop acts on the first press between two of its polls
    (a handler that wrote to the store could deadlock on a lock the interrupted code holds).
    The second press writes :attr:`leaving` and ends the process at once.

    A SIGINT the parent process set to ignored (a background job of a shell script) stays
    ignored: that process was started on purpose not to be interrupted.
    """

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.presses = 0
        self.leaving = "\nLeaving now (second Ctrl-C).\n"
        self._previous: Any = None
        self._installed = False

    @property
    def pressed(self) -> bool:
        return self.presses > 0

    def __enter__(self) -> StopKeys:
        if threading.current_thread() is threading.main_thread():
            current = signal.getsignal(signal.SIGINT)
            if current is not signal.SIG_IGN:
                self._previous = signal.signal(signal.SIGINT, self._handle)
                self._installed = True
        return self

    def __exit__(self, *exc: object) -> None:
        if self._installed:
            signal.signal(signal.SIGINT, self._previous)
            self._installed = False

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        self.presses += 1
        if self.presses < 2:
            return
        try:
            self.out.flush()
        except (OSError, RuntimeError, ValueError):
            pass  # the interrupted code may be writing to it: the text below goes around it
        try:
            fd = self.out.fileno()
        except (OSError, ValueError, AttributeError):
            fd = sys.__stderr__.fileno() if sys.__stderr__ is not None else 2
        try:
            os.write(fd, self.leaving.encode("utf-8", "replace"))
        finally:
            os._exit(EXIT_INTERRUPTED)


def _epoch(at: str) -> float:
    return datetime.fromisoformat(at.replace("Z", "+00:00")).timestamp()


class ChangeLines:
    """Prints a run's policy decisions and change watches from its audit trail as they come,
    and remembers which changes are made but not yet settled (kept or rolled back)."""

    def __init__(
        self, app: LocalApp, run_id: str, line: Callable[[str], None], lock: threading.RLock | None = None
    ) -> None:
        self.app = app
        self.run_id = run_id
        self.line = line
        self.seen = 0
        #: change -> (node, "made" | "watching"), until the watch settles it
        self.unsettled: dict[str, tuple[str, str]] = {}
        self.watch_seconds: dict[str, float] = {}
        #: change -> when its watch ends (epoch seconds), for the countdown line
        self.watch_ends: dict[str, float] = {}
        self.settled: list[str] = []
        # The live view's own lock when there is one: ``line`` takes it too, and one lock taken
        # in one order cannot deadlock the engine's workers against the main loop.
        self._lock = lock or threading.RLock()

    def poll(self) -> None:
        """Show the events recorded since the last poll (the main loop and the engine's
        workers both poll: each event is shown once)."""
        with self._lock:
            for event in self.app.store.runs.events(self.run_id):
                if event.seq <= self.seen:
                    continue
                self.seen = event.seq
                self._show(event)

    def _show(self, event: RunEvent) -> None:
        node = event.node_id or "?"
        details = event.details
        if event.type in ("PolicyAllowed", "ChangeAlreadyApplied"):
            change = str(details.get("action", "?"))
            self.unsettled[change] = (node, "made")
            self.line(f"    ⚙ {node}: {change} (allowed by policy)")
        elif event.type == "PolicyDenied":
            self.line(f"    ⛔ {node}: {details.get('action', '?')} refused: {str(details.get('reason', ''))[:160]}")
        elif event.type == "ChangeMonitoring":
            seconds = float(details.get("seconds") or 0)
            for change in details.get("changes") or []:
                self.unsettled[str(change)] = (node, "watching")
                self.watch_seconds[str(change)] = seconds
                self.watch_ends[str(change)] = _epoch(event.at) + seconds
                self.line(f"    ⏱ {node}: watching {change} for {seconds:g}s: kept if healthy, rolled back if not")
        elif event.type in ("ChangeMonitored", "ChangeRolledBack"):
            change = str(details.get("change", "?"))
            self.unsettled.pop(change, None)
            if event.type == "ChangeRolledBack":
                text = f"{change}: health did not return; rolled back from the snapshot"
                self.line(f"    ↺ {node}: {text}")
            elif details.get("healthy"):
                text = f"{change}: healthy after the watch; kept"
                self.line(f"    ✓ {node}: {text}")
            else:
                text = f"{change}: still unhealthy and not rolled back ({str(details.get('rollback', ''))[:160]})"
                self.line(f"    ✗ {node}: {text}")
            self.settled.append(text)

    def unsettled_for(self, node: str) -> list[tuple[str, str]]:
        with self._lock:
            return [(change, state) for change, (owner, state) in self.unsettled.items() if owner == node]


def in_flight(app: LocalApp, run_id: str, changes: ChangeLines) -> list[str]:
    """What a stop waits for: each step still running and each change it has not settled yet."""
    lines: list[str] = []
    now = time.monotonic()
    for task in app.tasks_in_flight(run_id):
        unsettled = changes.unsettled_for(task.node)
        for change, state in unsettled:
            if state == "watching":
                seconds = changes.watch_seconds.get(change, 0.0)
                lines.append(
                    f"{task.node}: finishing the watch of {change} (up to {seconds:g}s): "
                    "kept if healthy, rolled back if not"
                )
            else:
                lines.append(f"{task.node}: {change} was made; it is watched, then kept or rolled back")
        if not unsettled:
            lines.append(
                f"{task.node}: running for {now - task.started:.0f}s; it finishes its current call and makes no change"
            )
    return lines


def leaving_text(app: LocalApp, run_id: str, changes: ChangeLines, stopped: bool) -> str:
    """What the second Ctrl-C prints before the process ends (kept up to date by the main loop)."""
    head = "\nLeaving now (second Ctrl-C)."
    if not stopped:
        head += " The stop was not recorded yet: the run resumes when aofctl runs again on this state directory."
    lines: list[str] = []
    for task in app.tasks_in_flight(run_id):
        unsettled = changes.unsettled_for(task.node)
        for change, _state in unsettled:
            match = _TARGET.search(change)
            check = f"kubectl rollout status {match['target']} -n {match['ns']}" if match else "kubectl"
            lines.append(
                f"  {task.node}: {change} was made and is neither confirmed healthy nor rolled back; check it: {check}"
            )
        if not unsettled:
            lines.append(f"  {task.node}: was still running (no change of it was recorded)")
    if not lines:
        return head + " Nothing was in flight.\n"
    return head + " Still in flight, now abandoned:\n" + "\n".join(lines) + "\n"
