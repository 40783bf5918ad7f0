"""Which ``aofctl run`` drives a run: the one holding the run's lock file.

A second ``aofctl run`` of the same event must not drive the run too (its engine would resume
the execution and call the same steps again): while the lock is held it only follows the run.
A run whose driver died holds no lock, so the next ``aofctl run`` resumes it as before.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path


class RunDriver:
    """An advisory lock on ``STATE_DIR/runs/RUN_ID.lock``, released when the process ends."""

    def __init__(self, state_dir: Path, run_id: str) -> None:
        self.path = state_dir / "runs" / f"{run_id}.lock"
        self._fd: int | None = None

    def acquire(self) -> bool:
        """True when this process now drives the run; False when another process does."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._fd = fd
        return True

    def holder(self) -> str:
        """The driving process id as it wrote it (for the message), or ``?``."""
        try:
            return self.path.read_text().strip() or "?"
        except OSError:
            return "?"

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
