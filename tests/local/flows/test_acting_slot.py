"""A rate-limited agent node waits for an acting slot in the flow, never inside the node.

The node fails at once with ``WaitingForActingSlot``; the compiled Retry waits and tries again,
on the embedded engine's timer (a fake clock here, so the waits take no real time) exactly as
Step Functions waits between retries in the cloud.
"""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from chalicelib.compiler import compile_flow
from chalicelib.compiler.tasks import ACTING_SLOT_POLL_SECONDS
from chalicelib.engine.clock import FakeClock
from chalicelib.engine.models import ProgressEvent
from chalicelib.policy.admission import RunAdmission
from chalicelib.policy.rate_limit import RateLimitSettings
from chalicelib.service.local import LocalApp
from chalicelib.spec import load_resources

FLOW = "limited-agent"
LIMIT = {"max_concurrent": 1, "queue_size": 5, "timeout_seconds": 60}
FILES = {
    "triage.yaml": """apiVersion: aof.dev/v1
kind: Agent
metadata:
  name: triage
spec:
  model: builtin:triage
  instructions: |
    Classify the incident. Answer in JSON with severity and summary.
""",
    "flow.yaml": f"""apiVersion: aof.dev/v1
kind: AgentFlow
metadata:
  name: {FLOW}
spec:
  rate_limit: {{max_concurrent: 1, queue_size: 5, timeout_seconds: 60}}
  trigger:
    type: Manual
  nodes:
    - id: look
      type: Agent
      config:
        agent: triage
        input: "Incident ${{event.incident.id}}: ${{event.incident.title}}"
  connections: []
""",
}
EVENT = {"incident": {"id": "PSLOT1", "title": "API latency"}}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    folder = tmp_path / "project"
    folder.mkdir()
    for name, text in FILES.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
def app(project: Path, tmp_path: Path) -> Iterator[LocalApp]:
    local = LocalApp(
        [str(project)], env={}, state_dir=tmp_path / "state", out=io.StringIO(), start=False, clock=FakeClock()
    )
    try:
        yield local
    finally:
        local.close()


def test_the_compiled_agent_task_retries_on_a_busy_slot_for_the_rate_limits_timeout(project: Path) -> None:
    resources = load_resources([str(project)])
    definition = compile_flow(resources.flows[FLOW], resources.agents)
    (task,) = [s for s in definition["States"].values() if s["Type"] == "Task" and "Agent" in s.get("Comment", "")]
    first = task["Retry"][0]
    assert first["ErrorEquals"] == ["WaitingForActingSlot"]
    assert first["BackoffRate"] == 1.0
    # The retries together wait as long as the rate limit lets a run wait for its turn.
    assert first["IntervalSeconds"] * first["MaxAttempts"] >= LIMIT["timeout_seconds"]
    # The generic retry policy (Lambda service errors, retryable errors) is still there, after it.
    assert "Lambda.ServiceException" in task["Retry"][1]["ErrorEquals"]


def test_a_queued_run_waits_on_the_engines_timer_and_acts_when_the_slot_frees(
    app: LocalApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    admission = RunAdmission(app.store.budgets, RateLimitSettings.from_dict(LIMIT))
    assert admission.admit(FLOW, "the-other-run").verdict == "acting"  # holds the only slot
    slept: list[float] = []
    monkeypatch.setattr(time, "sleep", slept.append)  # nothing in the run may sleep for real
    busy: list[ProgressEvent] = []

    def on_progress(event: ProgressEvent) -> None:
        if event.type == "TaskFailed" and event.details.get("error") == "WaitingForActingSlot":
            busy.append(event)
            if len(busy) == 3:
                admission.release(FLOW, "the-other-run")  # the other run finished meanwhile

    app.engine.subscribe(on_progress)
    clock_before = app.engine.clock.time()

    app.start_run(FLOW, EVENT, "queued-run")
    assert admission.waiting(FLOW) == ["queued-run"]
    app.engine.run_until_idle()

    description = app.engine.describe(app.execution_id("queued-run"))
    assert description.status == "SUCCEEDED", description
    assert len(busy) == 3
    # Three waits between the tries, all on the engine's clock.
    assert app.engine.clock.time() - clock_before >= 3 * ACTING_SLOT_POLL_SECONDS
    assert slept == []
    run = app.store.runs.get_run("queued-run")
    assert run is not None and run.outcome is not None  # recorded when the execution ended
    assert admission.acting(FLOW) == [] and admission.waiting(FLOW) == []  # and its tickets freed
