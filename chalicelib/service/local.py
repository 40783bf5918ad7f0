"""The composition root of the embedded default: flows compiled and registered on the local
engine, node handlers called in-process, runs recorded in the SQLite store, the run service over
them. (:mod:`.deployed` is the other root.)"""

from __future__ import annotations

import itertools
import os
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from chalicelib.engine.engine import Engine
from chalicelib.engine.invoker import FunctionInvoker
from chalicelib.engine.models import ExecutionDescription, ProgressEvent
from chalicelib.nodes.deps import deps_from_env
from chalicelib.nodes.dispatch import PLACEHOLDER_FUNCTIONS

from .. import settings
from ..compiler import compile_flow, substitute_arns
from ..engine.clock import Clock
from ..nodes.deps import NodeDeps
from ..nodes.notify import Notifier
from ..observability import write_to_state_dir
from ..runtime.local import LocalRuntime
from ..spec import Resources, load_resources
from ..store import Store, open_store
from .deployed import daily_from_yaml
from .run_ports import FlowTable, NoMetrics, pager_from_env
from .runs import RunService, task_identity


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
        clock: Clock | None = None,
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
        self.engine = Engine(
            base / "engine.db", FunctionInvoker(self._dispatch), max_workers=max_workers, env=self.env, clock=clock
        )
        self.runtime = LocalRuntime(self.engine)
        self.deps.send_task_success = self.runtime.send_task_success
        self._tasks: dict[int, TaskInFlight] = {}
        self._task_ids = itertools.count()
        self._tasks_lock = threading.Lock()
        flows = self.resources.flows
        for name, flow in flows.items():
            definition = substitute_arns(compile_flow(flow, self.resources.agents), PLACEHOLDER_FUNCTIONS)
            limit = flow.spec.rate_limit.max_concurrent if flow.spec.rate_limit else None
            self.engine.register_state_machine(name, definition, max_concurrent=limit)
        catalog = FlowTable(
            # The first flow listening on a path takes its webhooks, as before.
            {
                path: name
                for name, flow in reversed(flows.items())
                if (path := getattr(flow.spec.trigger.config, "path", None))
            },
            {name: flow.spec.rate_limit.model_dump() if flow.spec.rate_limit else None for name, flow in flows.items()},
        )
        self.service = RunService(
            runtime=self.runtime,
            store=self.store,
            notifier=self.deps.notifier,
            pager=pager_from_env(self.env),
            metrics=NoMetrics(),
            flows=catalog,
        )
        self.engine.subscribe(self._on_progress)
        if start:
            self.start()

    def start(self) -> None:
        """Drive executions from this process: the engine's workers start and unfinished runs
        resume (``start=False`` builds an app that only records and reads)."""
        self.engine.start()
        self.engine.resume()

    def _dispatch(self, function: str, payload: dict[str, Any]) -> Any:
        run_id, node_id = task_identity(payload)
        node = node_id or function
        key = next(self._task_ids)
        with self._tasks_lock:
            self._tasks[key] = TaskInFlight(run_id, node, time.monotonic())
        try:
            return self.service.run_node(function, payload, self.deps)
        finally:
            with self._tasks_lock:
                del self._tasks[key]

    def tasks_in_flight(self, run_id: str) -> list[TaskInFlight]:
        """The run's node handlers still running in this process (a stopped execution's last
        task goes on until its handler returns, as a Lambda does after StopExecution)."""
        with self._tasks_lock:
            return [t for t in self._tasks.values() if t.run_id == run_id]

    # -- runs: the run service's, under the names the CLI and the console use ------------------

    def flow_for_path(self, path: str) -> str | None:
        return self.service.flow_for_path(path)

    def start_run(self, flow: str, flow_event: dict[str, Any], execution_name: str) -> str:
        """Record the run and start its execution; a repeated name returns the same run."""
        return self.service.start(flow, flow_event, execution_name)

    def execution_id(self, run_id: str) -> str:
        run = self.store.runs.get_run(run_id)
        if run is None or not run.execution_arn:
            raise KeyError(run_id)
        return run.execution_arn

    def stop_run(self, run_id: str, reason: str, *, by: str = "operator") -> bool:
        """Stop a run as StopExecution does (see :meth:`RunService.stop_run`)."""
        return self.service.stop_run(run_id, reason, by=by)

    def _on_progress(self, event: ProgressEvent) -> None:
        if event.type in ("ExecutionSucceeded", "ExecutionFailed", "ExecutionTimedOut", "ExecutionAborted"):
            self.finish(event.execution_id)

    def finish(self, execution_id: str) -> None:
        """Record the outcome of a finished execution on its run (idempotent)."""
        self.service.finish(execution_id)

    def daily_analysis_settings(self, yaml_paths: list[str]) -> tuple[Any, str]:
        """The daily report's analyzer agent and channel, from the project's YAML."""
        return daily_from_yaml(yaml_paths)

    @property
    def node_deps(self) -> NodeDeps:
        return self.deps

    @property
    def notifier(self) -> Notifier:
        return self.deps.notifier

    def wait(self, run_id: str, timeout: float = 600.0) -> ExecutionDescription:
        description = self.engine.wait_for(self.execution_id(run_id), timeout=timeout)
        self.finish(description.execution_id)
        return description

    def close(self) -> None:
        self.engine.stop()
        self.store.close()
