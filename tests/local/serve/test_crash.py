"""SIGKILL a real ``aofctl serve`` mid-run, restart it on the same state directory: the run
completes and no completed task runs twice; a waiting approval survives a restart too."""

from __future__ import annotations

import getpass
from collections.abc import Callable
from pathlib import Path
from typing import Any

from chalicelib.store import open_store
from tests.local.serve.conftest import History, Server, aofctl, wait_until

StartServer = Callable[[Path, dict[str, str]], Server]


def restarts_of(actions: list[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    """Real (not dry-run) restarts of ``deployment/<name>`` in the sandbox's audit log."""
    return [
        a
        for a in actions
        if a.get("kind") == "Deployment" and a.get("name") == name and a.get("method") == "PATCH" and not a["dry_run"]
    ]


def outcome(state_dir: Path, run_id: str) -> str | None:
    store = open_store(f"sqlite:///{state_dir / 'aof.db'}")
    try:
        run = store.runs.get_run(run_id)
        return None if run is None else run.outcome
    finally:
        store.close()


def crash_and_restart(
    sb: Any, env: dict[str, str], servers: StartServer, state_dir: Path, kill_when: Callable[[History, str], Any]
) -> tuple[str, Any, Server, Server]:
    """Post TEST001, SIGKILL the server once ``kill_when`` holds, start a new one, wait for the end."""
    history = History(state_dir)
    first = servers(state_dir, env)
    status, body = first.post_incident("examples/events/test001.json")
    assert status == 202, body
    run_id = body["run_id"]
    wait_until(lambda: kill_when(history, run_id), what="the kill point")
    before_kill = history.per_state(run_id, "TaskSucceeded")
    first.kill()
    assert history.status(run_id) == "RUNNING"
    second = servers(state_dir, env)
    wait_until(lambda: history.status(run_id) == "SUCCEEDED", timeout=90, what="the run to finish after restart")
    wait_until(lambda: outcome(state_dir, run_id), what="the outcome to be recorded")
    return run_id, before_kill, first, second


def assert_each_task_succeeded_once(history: History, run_id: str) -> None:
    succeeded = history.per_state(run_id, "TaskSucceeded")
    assert succeeded and all(count == 1 for count in succeeded.values()), succeeded


def test_killed_during_diagnosis_the_run_resumes_and_resolves_the_incident(
    sandbox_factory: Callable[..., Any],
    serve_env: Callable[[dict[str, str]], dict[str, str]],
    servers: StartServer,
    tmp_path: Path,
) -> None:
    sb = sandbox_factory("test001-high-memory")
    run_id, before_kill, first, second = crash_and_restart(
        sb, serve_env(sb.env), servers, tmp_path, lambda h, r: "diagnose" in h.entered(r)
    )
    history = History(tmp_path)
    assert "parse-alert" in before_kill
    assert_each_task_succeeded_once(history, run_id)
    assert "diagnose" in history.per_state(run_id, "TaskSucceeded")
    assert (first.output + second.output).count("Incident Detected") == 1
    assert len(restarts_of(sb.actions, "api")) == 1
    assert sb.resolved()
    assert outcome(tmp_path, run_id) == "resolved"
    assert second.terminate() == 0


def test_killed_after_the_fix_was_applied_the_fix_is_not_applied_again(
    sandbox_factory: Callable[..., Any],
    serve_env: Callable[[dict[str, str]], dict[str, str]],
    servers: StartServer,
    tmp_path: Path,
) -> None:
    sb = sandbox_factory("test001-high-memory")
    run_id, before_kill, first, second = crash_and_restart(
        sb, serve_env(sb.env), servers, tmp_path, lambda h, r: restarts_of(sb.actions, "api")
    )
    history = History(tmp_path)
    assert {"parse-alert", "diagnose", "notify-diagnosis", "auto-approve"} <= set(before_kill)
    assert "remediate" not in before_kill
    assert_each_task_succeeded_once(history, run_id)
    assert "remediate" in history.per_state(run_id, "TaskSucceeded")
    # notify-diagnosis had completed before the kill: its Slack message is not sent again.
    assert (first.output + second.output).count("Incident Detected") == 1
    assert len(restarts_of(sb.actions, "api")) == 1, "the rollout restart was applied twice"
    assert sb.resolved()
    assert second.terminate() == 0


def test_waiting_approval_survives_a_restart_and_is_approved_from_a_terminal(
    sandbox_factory: Callable[..., Any],
    serve_env: Callable[[dict[str, str]], dict[str, str]],
    servers: StartServer,
    tmp_path: Path,
) -> None:
    sb = sandbox_factory("test002-postgres-down")
    env = serve_env(sb.env)
    history = History(tmp_path)
    first = servers(tmp_path, env)
    status, body = first.post_incident("examples/events/test002.json")
    assert status == 202, body
    run_id = body["run_id"]
    store = open_store(f"sqlite:///{tmp_path / 'aof.db'}")
    try:
        wait_until(lambda: store.approvals.find_pending_by_run(run_id), what="the approval request")
        wait_until(lambda: "TaskSubmitted" in [e["type"] for e in history.events(run_id)], what="the token wait")
        first.kill()

        second = servers(tmp_path, env)
        assert history.status(run_id) == "RUNNING"
        assert "request-approval" not in history.per_state(run_id, "TaskSucceeded")
        # Named by the incident id, as the on-call engineer has it from the page.
        args = ("approve", "TEST002", "--decision", "approve", "--by", "alice", "--state-dir", str(tmp_path))
        approved = aofctl(*args, env=env)
        assert approved.returncode == 0, approved.stderr
        assert f"{run_id}: request-approval approved by alice" in approved.stdout
        # Beside the name given with --by, the audit trail keeps who was at the keyboard.
        decided = [e.details for e in store.runs.events(run_id) if e.type == "ApprovalDecided"]
        assert decided[0]["by"] == "alice" and decided[0]["caller"].startswith(f"{getpass.getuser()}@")

        wait_until(lambda: history.status(run_id) == "SUCCEEDED", timeout=90, what="the approved run to finish")
        wait_until(lambda: outcome(tmp_path, run_id), what="the outcome to be recorded")
        assert outcome(tmp_path, run_id) == "resolved"
        assert history.per_state(run_id, "TaskSucceeded")["request-approval"] == 1
        assert (first.output + second.output).count("CRITICAL: Human Approval Required") == 1
        assert sb.resolved()

        again = aofctl("approve", run_id, "--decision", "skip", "--by", "bob", "--state-dir", str(tmp_path), env=env)
        assert again.returncode == 3
        assert "request-approval: already approved by alice at" in again.stderr
        assert second.terminate() == 0
    finally:
        store.close()
