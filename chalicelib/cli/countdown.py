"""The live line of ``aofctl run`` while nothing else moves: a change being watched, or an
approval awaited. It says what is awaited and how long is left, when the wait starts and then
every ``every`` seconds, so a quiet screen is never a mystery."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .invocation import aofctl_command

if TYPE_CHECKING:
    from .stopping import ChangeLines

#: Seconds between two lines about the same wait.
EVERY = 10.0


def _left(seconds: float) -> str:
    seconds = max(0, int(seconds + 0.5))
    minutes, rest = divmod(seconds, 60)
    return f"{minutes}m {rest:02d}s left" if minutes else f"{rest}s left"


class Countdown:
    """Call :meth:`tick` from the main loop; it writes through ``line`` when a line is due."""

    def __init__(
        self,
        app: Any,
        run_id: str,
        changes: ChangeLines,
        line: Callable[[str], None],
        *,
        every: float = EVERY,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.app = app
        self.run_id = run_id
        self.changes = changes
        self.line = line
        self.every = every
        self.clock = clock
        self._last: dict[str, float] = {}

    def tick(self) -> None:
        now = self.clock()
        for key, text in self._waits(now):
            if now - self._last.get(key, -self.every) >= self.every:
                self._last[key] = now
                self.line(f"    … {text}")

    def _waits(self, now: float) -> list[tuple[str, str]]:
        waits: list[tuple[str, str]] = []
        for change, ends in self.changes.watch_ends.items():
            node, state = self.changes.unsettled.get(change, ("", ""))
            if state == "watching":
                waits.append((f"watch:{change}", f"{node}: watching {change}: {_left(ends - now)} (kept if healthy)"))
        for approval in self.app.store.approvals.find_pending_by_run(self.run_id):
            left = _left(float(approval.expires_at) - now)
            waits.append(
                (
                    f"approval:{approval.approval_id}",
                    f"waiting for approval {approval.approval_id}: {left} "
                    f"({aofctl_command()} approve {approval.approval_id} --decision approve|pause|skip)",
                )
            )
        return waits
