"""Many runs at once on the embedded default; a flow's ``rate_limit.max_concurrent`` holds."""

from __future__ import annotations

import io
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from chalicelib.engine.models import ProgressEvent
from chalicelib.nodes.approvals import resolve_approval
from chalicelib.service.local import LocalApp

FLOW = """apiVersion: aof.dev/v1
kind: AgentFlow
metadata:
  name: limited
spec:
  rate_limit:
    max_concurrent: 2
  trigger:
    type: Manual
  nodes:
    - id: start
      type: Transform
      config:
        script: export INCIDENT_ID="${event.incident.id}"
    - id: hold
      type: Slack
      config:
        channel: "#incidents"
        message: "approve ${INCIDENT_ID}?"
        wait_for_reaction: true
        timeout_seconds: 600
    - id: done
      type: Transform
      config:
        script: export DONE=true
  connections:
    - from: start
      to: hold
    - from: hold
      to: done
"""


class Concurrency:
    """Counts executions between ExecutionStarted and their end, from the engine's events."""

    def __init__(self) -> None:
        self.running: set[str] = set()
        self.peak = 0
        self.order: list[str] = []
        self.lock = threading.Lock()

    def __call__(self, event: ProgressEvent) -> None:
        with self.lock:
            if event.type == "ExecutionStarted":
                self.running.add(event.execution_id)
                self.order.append(event.execution_id.rsplit(":", 1)[-1])
                self.peak = max(self.peak, len(self.running))
            elif event.type.startswith("Execution") and event.type != "ExecutionStarted":
                self.running.discard(event.execution_id)


def test_six_runs_of_a_flow_limited_to_two_never_run_more_than_two_at_once(tmp_path: Path) -> None:
    (tmp_path / "flows").mkdir()
    (tmp_path / "flows" / "limited.yaml").write_text(FLOW)
    app = LocalApp([str(tmp_path / "flows")], env={}, state_dir=tmp_path / "state", out=io.StringIO(), max_workers=8)
    seen = Concurrency()
    app.engine.subscribe(seen)
    try:
        runs = [
            app.start_run("limited", {"incident": {"id": f"INC{i}", "title": f"incident {i}"}}, f"run-{i}")
            for i in range(6)
        ]
        statuses = {r: app.runtime.describe(app.execution_id(r)).status for r in runs}
        assert sorted(statuses.values()) == ["QUEUED"] * 4 + ["RUNNING"] * 2
        decided: list[str] = []
        deadline = time.monotonic() + 60
        while len(decided) < len(runs):
            assert time.monotonic() < deadline, f"only {sorted(decided)} were asked for an approval"
            for run_id in runs:
                for approval in app.store.approvals.find_pending_by_run(run_id):
                    with seen.lock:
                        waiting_now = len(seen.running)
                    assert waiting_now <= 2
                    result = resolve_approval(
                        app.store,
                        app.runtime.send_task_success,
                        approval.approval_id,
                        "approve",
                        "alice",
                        datetime.now(UTC),
                    )
                    assert result.applied, result.message
                    decided.append(run_id)
            time.sleep(0.02)
        finals = [app.wait(r, timeout=60) for r in runs]
        assert [d.status for d in finals] == ["SUCCEEDED"] * 6
        assert seen.peak == 2
        # The queue is first in, first out: queued runs start in the order they arrived.
        assert sorted(seen.order[:2]) == runs[:2] and seen.order[2:] == runs[2:]
    finally:
        app.close()
