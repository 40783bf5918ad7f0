"""Runs jobs on EventBridge-style rates (``rate(1 day)``) in a long-running process: the
embedded default's stand-in for ``@app.schedule`` in ``aofctl serve``."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from ..errors import ConfigurationError
from .daily import DAILY_FLOW, _flow_settings, run_daily_analysis

_RATE = re.compile(r"^\s*rate\(\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)\s*$")
_UNIT = {"minute": 60, "hour": 3600, "day": 86400}


def parse_rate(expression: str) -> timedelta:
    """``rate(N unit)`` as a period; ``cron(...)`` is not supported on the embedded engine."""
    match = _RATE.match(expression)
    if not match:
        raise ConfigurationError(f"schedule {expression!r}: only rate(N minutes|hours|days) runs locally")
    count, unit = int(match.group(1)), match.group(2).rstrip("s")
    if count < 1:
        raise ConfigurationError(f"schedule {expression!r}: the rate must be at least 1")
    return timedelta(seconds=count * _UNIT[unit])


@dataclass
class Job:
    name: str
    period: timedelta
    run: Callable[[datetime], Any]
    next_at: datetime | None = None


class Scheduler:
    """A daemon thread that runs each job every ``period`` (first run one period after start).

    ``clock`` and ``wait`` are injectable so a test can drive time; a failing job is reported
    through ``on_error`` and runs again at its next slot.
    """

    def __init__(
        self,
        jobs: list[Job],
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        on_error: Callable[[Job, BaseException], None] | None = None,
        run_at_start: bool = False,
    ) -> None:
        self.jobs = jobs
        self.clock = clock
        self.on_error = on_error
        self.run_at_start = run_at_start
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.runs: list[tuple[str, datetime]] = []

    def start(self) -> None:
        now = self.clock()
        for job in self.jobs:
            job.next_at = now if self.run_at_start else now + job.period
        self._thread = threading.Thread(target=self._loop, name="aof-scheduler", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def tick(self) -> int:
        """Run every job that is due now; returns how many ran."""
        ran = 0
        for job in self.jobs:
            now = self.clock()
            if job.next_at is None or job.next_at > now:
                continue
            job.next_at = now + job.period
            try:
                job.run(now)
                self.runs.append((job.name, now))
            except Exception as error:  # one failed report must not stop the next ones
                if self.on_error is not None:
                    self.on_error(job, error)
            ran += 1
        return ran

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.tick()
            self._stop.wait(self._sleep_seconds())

    def _sleep_seconds(self) -> float:
        pending = [j.next_at for j in self.jobs if j.next_at is not None]
        if not pending:
            return 60.0
        seconds = (min(pending) - self.clock()).total_seconds()
        return min(max(seconds, 0.05), 60.0)


def daily_analysis_jobs(
    resources: Any, store: Any, notifier: Any, env: Mapping[str, str], *, period: timedelta | None = None
) -> list[Job]:
    """A job for each Schedule-triggered post-incident flow of ``resources`` (a ``Resources``)."""
    jobs = []
    for name, flow in resources.flows.items():
        if flow.spec.trigger.type != "Schedule" or name != DAILY_FLOW:
            continue
        agent_name, channel = _flow_settings(flow)
        agent = resources.agents[agent_name]

        def run(now: datetime, agent: Any = agent, channel: str = channel) -> Any:
            return run_daily_analysis(store, notifier, env, now, agent=agent, channel=channel)

        jobs.append(Job(name, period or parse_rate(flow.spec.trigger.config.schedule), run))
    return jobs
