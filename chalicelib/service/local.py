"""The embedded default wired together: flows compiled and registered on the local engine,
node handlers called in-process, runs recorded in the SQLite store."""

from __future__ import annotations

import itertools
import os
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from .. import settings
from ..compiler import compile_flow, substitute_arns
from ..engine import Engine, ExecutionAlreadyExists, FunctionInvoker, ProgressEvent
from ..errors import AlreadyExists
from ..nodes import PLACEHOLDER_FUNCTIONS, deps_from_env, run_task
from ..nodes.deps import NodeDeps
from ..observability import write_to_state_dir
from ..policy import RateLimitSettings, RunAdmission
from ..runtime.local import LocalRuntime
from ..spec import Resources, load_resources
from ..store import RunEvent, RunRecord, Store, open_store
from ..store.stops import RUN_STOPPED, STOPPED_STATUS
from .outcome import outcome_of, resolution_of, severity_of

TERMINAL = ("SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED")


@dataclass(frozen=True)
class TaskInFlight:
    """A node handler running in this process right now."""

    run_id: str
    node: str
    started: float  # time.monotonic()


class LocalApp:
    """One process's view of the product on the embedded engine."""

    def __init__(
        self,
        paths: list[str] | None = None,
        *,
        env: Mapping[str, str] | None = None,
        state_dir: str | Path | None = None,
        out: TextIO | None = None,
        max_workers: int = 4,
        start: bool = True,
    ) -> None:
        self.env = dict(os.environ if env is None else env)
        base = Path(state_dir) if state_dir else settings.state_dir(self.env)
        base.mkdir(parents=True, exist_ok=True)
        self.state_dir = base.resolve()
        write_to_state_dir(self.state_dir, self.env)  # the structured log: STATE_DIR/logs/system.jsonl
        # Transform nodes' `cat > FILE` files land here, where `aofctl run` says they are.
        self.env.setdefault(settings.AOF_FILES_DIR, str(self.state_dir / "files"))
        self.resources: Resources = load_resources(paths or ["agents", "flows"])
        self.store: Store = open_store(f"sqlite:///{(base / 'aof.db').resolve()}")
        self.deps: NodeDeps = deps_from_env(self.store, self.env, out)
        self.engine = Engine(base / "engine.db", FunctionInvoker(self._dispatch), max_workers=max_workers, env=self.env)
        self.runtime = LocalRuntime(self.engine)
        self.deps.send_task_success = self.runtime.send_task_success
        self._finished = threading.Event()
        self._tasks: dict[int, TaskInFlight] = {}
        self._task_ids = itertools.count()
        self._tasks_lock = threading.Lock()
        for name, flow in self.resources.flows.items():
            definition = substitute_arns(compile_flow(flow, self.resources.agents), PLACEHOLDER_FUNCTIONS)
            limit = flow.spec.rate_limit.max_concurrent if flow.spec.rate_limit else None
            self.engine.register_state_machine(name, definition, max_concurrent=limit)
        # An incident storm must not become a remediation storm: at most max_concurrent runs
        # act, queue_size wait, the rest are recorded and handed to a human at once.
        self.admissions = {
            name: RunAdmission(
                self.store.budgets,
                RateLimitSettings.from_dict(flow.spec.rate_limit.model_dump()) if flow.spec.rate_limit else None,
            )
            for name, flow in self.resources.flows.items()
        }
        self.engine.subscribe(self._on_progress)
        if start:
            self.start()

    def start(self) -> None:
        """Drive executions from this process: the engine's workers start and unfinished runs
        resume (``start=False`` builds an app that only records and reads)."""
        self.engine.start()
        self.engine.resume()

    def _dispatch(self, function: str, payload: dict[str, Any]) -> Any:
        context = payload.get("context") or {}
        run_id = str(context.get("execution_name") or str(context.get("execution_id") or "").rsplit(":", 1)[-1])
        node = str((payload.get("node") or {}).get("id") or payload.get("node_id") or function)
        key = next(self._task_ids)
        with self._tasks_lock:
            self._tasks[key] = TaskInFlight(run_id, node, time.monotonic())
        try:
            return run_task(function, payload, self.deps)
        finally:
            with self._tasks_lock:
                del self._tasks[key]

    def tasks_in_flight(self, run_id: str) -> list[TaskInFlight]:
        """The run's node handlers still running in this process (a stopped execution's last
        task goes on until its handler returns, as a Lambda does after StopExecution)."""
        with self._tasks_lock:
            return [t for t in self._tasks.values() if t.run_id == run_id]

    # -- runs -------------------------------------------------------------------------------

    def flow_for_path(self, path: str) -> str | None:
        for name, flow in self.resources.flows.items():
            config = flow.spec.trigger.config
            if getattr(config, "path", None) == path:
                return name
        return None

    def start_run(self, flow: str, flow_event: dict[str, Any], execution_name: str) -> str:
        """Record the run and start its execution; a repeated name returns the same run."""
        incident = flow_event.get("incident") or {}
        now = datetime.now(UTC)
        existing = self.store.runs.get_run(execution_name)
        if existing is None:
            self.store.runs.create_run(
                RunRecord(
                    run_id=execution_name,
                    flow=flow,
                    incident_id=str(incident.get("id") or "") or None,
                    event_id=str(flow_event.get("event_id") or "") or None,
                    status="running",
                    title=str(incident.get("title") or "")[:500],
                )
            )
            self.store.runs.append_event(execution_name, RunEvent(type="RunStarted", details={"flow": flow}))
            decision = self.admissions[flow].admit(flow, execution_name)
            if not decision.admitted:
                self._escalate_unadmitted(execution_name, incident, decision.reason, now)
                return execution_name
        state = {
            "event": flow_event,
            "vars": {},
            "nodes": {},
            "flow": {"name": flow, "run_id": execution_name, "started_at": now.isoformat()},
        }
        try:
            execution_id = self.runtime.start_execution(flow, state, name=execution_name)
            self.store.runs.update_run(execution_name, execution_arn=execution_id)
        except ExecutionAlreadyExists:
            pass
        return execution_name

    def _escalate_unadmitted(self, run_id: str, incident: dict[str, Any], reason: str, now: datetime) -> None:
        self.store.runs.append_event(run_id, RunEvent(type="Escalated", details={"reason": reason}))
        self.store.runs.update_run(run_id, status="escalated", outcome="escalated", ended_at=now)
        title = str(incident.get("title") or run_id)
        self.deps.notifier.post(
            str(incident.get("id") or run_id), "#incidents", f"🔴 Not handled automatically ({reason}): {title}", None
        )

    def execution_id(self, run_id: str) -> str:
        run = self.store.runs.get_run(run_id)
        if run is None or not run.execution_arn:
            raise KeyError(run_id)
        return run.execution_arn

    def stop_run(self, run_id: str, reason: str, *, by: str = "operator") -> bool:
        """Stop a run as StopExecution does: no new state starts and no new change is made.

        The stop is recorded first (the run ``cancelled``, a ``RunStopped`` event): the policy
        gate and the agent loop read it before every change and every tool call, so a step in
        flight makes no further change. A change it already made is still watched, and rolled
        back if health does not return. Then pending approvals are cancelled and the execution
        is aborted. False when the run had already finished.
        """
        run = self.store.runs.get_run(run_id)
        if run is None or run.outcome is not None:
            return False
        if run.execution_arn and self.runtime.describe(run.execution_arn).status not in ("RUNNING", "QUEUED"):
            return False  # finished, its outcome not yet recorded
        self.store.runs.append_event(run_id, RunEvent(type=RUN_STOPPED, details={"reason": reason, "by": by}))
        self.store.runs.update_run(run_id, status=STOPPED_STATUS)
        for approval in self.store.approvals.find_pending_by_run(run_id):
            try:
                self.store.approvals.cancel(approval.approval_id, f"the run was stopped ({reason})")
            except AlreadyExists:
                pass  # decided meanwhile: the aborted execution does not act on it
        if run.execution_arn:
            self.runtime.stop_execution(run.execution_arn, error="RunStopped", cause=reason)
        return True

    def _on_progress(self, event: ProgressEvent) -> None:
        if event.type in ("ExecutionSucceeded", "ExecutionFailed", "ExecutionTimedOut", "ExecutionAborted"):
            self.finish(event.execution_id)

    def finish(self, execution_id: str) -> None:
        """Record the outcome of a finished execution on its run (idempotent)."""
        description = self.runtime.describe(execution_id)
        if description.status not in TERMINAL:
            return
        run = self.store.runs.get_run(description.name)
        if run is None or run.outcome is not None:
            return
        outcome = outcome_of(description.status, description.output)
        status = {"resolved": "succeeded", "escalated": "escalated", "failed": "failed"}[outcome]
        resolution = resolution_of(description.status, description.output, self.store.runs.events(run.run_id))
        if run.status == STOPPED_STATUS and description.status == "ABORTED":
            # Stopped on purpose (or taken over): the incident is with a human, not failed.
            outcome, status = "escalated", STOPPED_STATUS
        self.store.runs.update_run(
            run.run_id,
            status=status,
            outcome=outcome,
            extra={**run.extra, "resolution": resolution},
            ended_at=datetime.now(UTC),
            severity=severity_of(description.output),
        )
        self.store.runs.append_event(
            run.run_id, RunEvent(type="RunFinished", details={"outcome": outcome, **resolution})
        )
        self.admissions[run.flow].release(run.flow, run.run_id)

    def wait(self, run_id: str, timeout: float = 600.0) -> Any:
        description = self.engine.wait_for(self.execution_id(run_id), timeout=timeout)
        self.finish(description.execution_id)
        return description

    def close(self) -> None:
        self.engine.stop()
        self.store.close()
