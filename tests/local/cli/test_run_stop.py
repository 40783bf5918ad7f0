"""Ctrl-C in ``aofctl run``, typed in a real pseudo-terminal, against the sandbox cluster.

The first Ctrl-C stops the run as StopExecution does: no new step or change starts, a change
already made is watched to the end and kept or rolled back (the screen says which), the summary
prints, exit status 130. A second Ctrl-C leaves at once and says what is still in flight.
``--detach`` starts a run in the background and prints its id.
"""

from __future__ import annotations

import os
import re
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from chalicelib.store import open_store
from sandbox.testing import Sandbox, running_sandbox
from tests.support.processes import Processes

ROOT = Path(__file__).resolve().parents[3]
AOFCTL = [sys.executable, "-m", "chalicelib.cli.main"]
RUN = [*AOFCTL, "run", "incident-auto-response", "--event", "examples/events/test001.json"]
API = ("deployments", "api", "production")
RESTARTED_AT = "kubectl.kubernetes.io/restartedAt"


@pytest.fixture
def cluster() -> Iterator[Sandbox]:
    with running_sandbox("test001-high-memory", speed=3.0) as sb:
        yield sb


def run_env(sb: Sandbox, monitor_seconds: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("AOF_BACKEND", "AOF_STATE_DIR")}
    for name in ("SLACK_BOT_TOKEN", "PAGERDUTY_API_KEY", "ANTHROPIC_API_KEY", "OPENAI_API_KEY"):
        env.pop(name, None)  # Slack and PagerDuty printed, the offline model diagnoses
    env.update(
        KUBECONFIG=sb.kubeconfig_path,
        KUBECACHEDIR=str(Path(sb.workdir) / "kubecache"),
        AOF_MONITOR_SECONDS=str(monitor_seconds),
        PYTHONUNBUFFERED="1",
    )
    return env


def mutations(sb: Sandbox) -> list[dict[str, Any]]:
    return [a for a in sb.actions if not a.get("dry_run")]


def template_annotations(sb: Sandbox) -> dict[str, str]:
    deployment = sb.cluster.get(*API)
    return dict(deployment["spec"]["template"]["metadata"].get("annotations") or {})


def run_events(state: Path) -> tuple[Any, list[Any]]:
    store = open_store(f"sqlite:///{state / 'aof.db'}")
    try:
        (run,) = store.runs.list_runs()
        return run, store.runs.events(run.run_id)
    finally:
        store.close()


def test_ctrl_c_during_diagnosis_stops_the_run_and_leaves_the_cluster_untouched(
    processes: Processes, cluster: Sandbox, tmp_path: Path
) -> None:
    generation = cluster.cluster.get(*API)["metadata"].get("generation")
    before = template_annotations(cluster)
    state = tmp_path / "state"
    term = processes.terminal([*RUN, "--state-dir", str(state)], env=run_env(cluster, 2), cwd=ROOT)
    term.wait_for("▶ diagnose")
    term.ctrl_c()
    assert term.wait() == 130, term.text
    screen = term.text
    after_stop = screen.split("⏹ Stopping", 1)[1]
    assert "no new step or change will start" in after_stop
    assert "diagnose" in after_stop and "No change was made" in after_stop
    assert "Summary" in after_stop and "diagnose               stopped" in after_stop
    assert "Outcome: STOPPED (Ctrl-C in aofctl run)" in after_stop
    # Nothing after diagnosis ran: no Slack message, no remediation, no PagerDuty resolve.
    for later in ("Incident Detected", "remediate", "resolve incident", "notify-diagnosis"):
        assert later not in screen, later
    assert mutations(cluster) == []
    assert cluster.cluster.get(*API)["metadata"].get("generation") == generation
    assert template_annotations(cluster) == before and RESTARTED_AT not in before
    run, events = run_events(state)
    assert (run.status, run.outcome) == ("cancelled", "escalated")
    assert [e.details["reason"] for e in events if e.type == "RunStopped"] == ["Ctrl-C in aofctl run"]
    assert not [e for e in events if e.type.startswith(("Policy", "Change"))]


def test_ctrl_c_during_the_watch_lets_it_finish_and_says_kept_or_rolled_back(
    processes: Processes, cluster: Sandbox, tmp_path: Path
) -> None:
    state = tmp_path / "state"
    term = processes.terminal([*RUN, "--state-dir", str(state)], env=run_env(cluster, 4), cwd=ROOT)
    term.wait_for("⏱ remediate: watching rollout restart deployment/api -n production")
    term.ctrl_c()
    assert term.wait() == 130, term.text
    after_stop = term.text.split("⏹ Stopping", 1)[1]
    assert "finishing the watch of rollout restart deployment/api -n production" in after_stop
    _run, events = run_events(state)
    settled = [e for e in events if e.type in ("ChangeMonitored", "ChangeRolledBack")]
    assert len(settled) == 1, [e.type for e in events]
    if settled[0].type == "ChangeRolledBack":
        assert "rolled back from the snapshot" in after_stop
        assert RESTARTED_AT not in template_annotations(cluster)
    else:
        assert settled[0].details["healthy"] is True
        assert "healthy after the watch; kept" in after_stop
        assert RESTARTED_AT in template_annotations(cluster)
    assert "Summary" in after_stop and "remediate              stopped" in after_stop
    assert "Outcome: STOPPED" in after_stop
    # The step in flight finished its change; nothing after it started.
    for later in ("verify-fix", "Incident Auto-Resolved", "resolve incident"):
        assert later not in term.text, later
    restarts = [a for a in mutations(cluster) if a["method"] == "PATCH" and a["name"] == "api"]
    assert len(restarts) == 1, mutations(cluster)


def test_ctrl_c_while_waiting_for_an_approval_cancels_it_and_changes_nothing(
    processes: Processes, tmp_path: Path
) -> None:
    state = tmp_path / "state"
    with running_sandbox("test002-postgres-down", speed=3.0) as sb:
        command = [*AOFCTL, "run", "incident-auto-response", "--event", "examples/events/test002.json"]
        term = processes.terminal([*command, "--state-dir", str(state)], env=run_env(sb, 2), cwd=ROOT)
        term.wait_for("waiting for approval")
        term.ctrl_c()
        assert term.wait() == 130, term.text
        assert mutations(sb) == []
    after_stop = term.text.split("⏹ Stopping", 1)[1]
    assert "request-approval       stopped" in after_stop and "Outcome: STOPPED" in after_stop
    store = open_store(f"sqlite:///{state / 'aof.db'}")
    try:
        (run,) = store.runs.list_runs()
        asked = re.search(r"Approval id: (\w+)", term.text)
        assert asked, term.text
        approval = store.approvals.get_approval(asked[1])
        events = [e.type for e in store.runs.events(run.run_id)]
    finally:
        store.close()
    assert approval is not None and approval.status == "cancelled", "the approval can still be given"
    assert "RunStopped" in events and "ApprovalDecided" not in events


def test_a_second_ctrl_c_leaves_at_once_and_says_what_is_in_flight(
    processes: Processes, cluster: Sandbox, tmp_path: Path
) -> None:
    # A watch far longer than the test waits: leaving must not wait for it.
    term = processes.terminal([*RUN, "--state-dir", str(tmp_path / "state")], env=run_env(cluster, 600), cwd=ROOT)
    term.wait_for("⏱ remediate: watching")
    term.ctrl_c()
    term.wait_for("… remediate: finishing the watch")
    term.ctrl_c()
    assert term.wait(timeout=30) == 130, term.text
    leaving = term.text.split("Leaving now (second Ctrl-C).", 1)[1]
    assert "Still in flight, now abandoned" in leaving
    assert "rollout restart deployment/api -n production was made and is neither confirmed healthy" in leaving
    assert "kubectl rollout status deployment/api -n production" in leaving
    assert "Summary" not in leaving


def test_detach_prints_the_run_id_and_the_run_goes_on_in_the_background(
    processes: Processes, cluster: Sandbox, tmp_path: Path
) -> None:
    state = tmp_path / "state"
    started = processes.start(
        [*RUN, "--state-dir", str(state), "--detach"],
        env=run_env(cluster, 2),
        cwd=ROOT,
        stdout=-1,
        stderr=-1,
        text=True,
    )
    out, err = started.communicate(timeout=120)
    pid = re.search(r"\(process (\d+)\)", err)
    assert pid, err
    processes.adopt(int(pid[1]))
    assert started.returncode == 0, err
    (run_id,) = out.splitlines()
    run, _events = run_events(state)
    assert run.run_id == run_id and run.outcome is None, "the run finished before the command returned"
    deadline = time.monotonic() + 180
    while run.outcome is None:
        assert time.monotonic() < deadline, (state / "runs" / f"{run_id}.log").read_text()
        time.sleep(0.5)
        run, _events = run_events(state)
    assert run.outcome == "resolved", (state / "runs" / f"{run_id}.log").read_text()
    assert [a for a in mutations(cluster) if a.get("method") == "PATCH"], "the background run did not remediate"
