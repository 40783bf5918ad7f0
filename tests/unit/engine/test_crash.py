"""Kill a real engine process with SIGKILL in the middle of a task; the restarted process
finishes the run without running any completed task again."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from chalicelib.engine.engine import Engine
from chalicelib.engine.invoker import FunctionInvoker
from tests.support.processes import Processes

ROOT = Path(__file__).resolve().parents[3]


def _spawn(processes: Processes, db: Path, ledger: Path, mode: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return processes.start(
        [sys.executable, "-m", "tests.support.crash_worker", str(db), str(ledger), mode],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _lines(ledger: Path) -> list[str]:
    return ledger.read_text().splitlines() if ledger.exists() else []


def test_sigkill_mid_task_then_restart_completes_without_repeating_completed_tasks(
    tmp_path: Path, processes: Processes
) -> None:
    db, ledger = tmp_path / "engine.db", tmp_path / "ledger.txt"
    first = _spawn(processes, db, ledger, "start")
    deadline = time.monotonic() + 30
    while not any(line.startswith("start slow") for line in _lines(ledger)):
        assert first.poll() is None, first.stderr.read() if first.stderr else ""
        assert time.monotonic() < deadline, "the slow task never started"
        time.sleep(0.02)
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    assert first.returncode == -signal.SIGKILL

    second = _spawn(processes, db, ledger, "resume")
    out, err = second.communicate(timeout=60)
    assert second.returncode == 0, err
    assert out.strip() == "SUCCEEDED"

    lines = _lines(ledger)
    done = Counter(line.split()[1] for line in lines if line.startswith("done"))
    assert done == {"first": 1, "second": 1, "slow": 1, "last": 1}
    slow_keys = [line.split()[2] for line in lines if line.startswith("start slow")]
    assert len(slow_keys) == 2 and slow_keys[0] == slow_keys[1], "in-flight task re-ran with another key"

    engine = Engine(db, FunctionInvoker(lambda name, payload: None))
    try:
        desc = engine.describe(engine.list_executions("crashy")[0].execution_id)
        assert desc.output == {
            "incident": "TEST001",
            "nodes": {n: {"done": n} for n in ("first", "second", "slow", "last")},
        }
    finally:
        engine.close()
