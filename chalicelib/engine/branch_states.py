"""Parallel and Map states: their branches and iterations run as child runs, collected here."""

from __future__ import annotations

from typing import Any

from . import mapstate, templates
from .state_base import READY, StateMachineCore
from .store import RUNNING, Event, Run


class BranchStates(StateMachineCore):
    # --- parallel ---------------------------------------------------------------------------
    def _start_parallel(self, run: Run, events: list[Event], state: dict[str, Any]) -> bool:
        effective = self._effective_input(run, state)
        if "Parameters" in state:
            effective = templates.render(state["Parameters"], effective, self._context(run))
        cur = {**run.cursor, "phase": "parallel"}
        events.append(self._event(run, "ParallelStateStarted"))
        with self.store.transaction():
            cur["children"] = [
                self._spawn(run, cur, i, branch, effective) for i, branch in enumerate(state["Branches"])
            ]
            self._save(run, events, cursor=cur, wake_at=None, wake_kind=None)
        self._wake()
        return False

    def _spawn(self, run: Run, cur: dict[str, Any], index: int, machine: dict[str, Any], data: Any) -> str:
        """Insert one branch or iteration run, due now; its id is unique per entry and attempt."""
        name = cur["state"]
        child_id = f"{run.id}/{name}.{cur['counts'][name]}.{cur.get('retry_count', 0)}.{index}"
        now = self.clock.time()
        self.store.insert_run(
            Run(
                id=child_id,
                root_id=run.root_id,
                parent_id=run.id,
                branch_index=index,
                machine=run.machine,
                name=child_id,
                status=RUNNING,
                definition={"StartAt": machine["StartAt"], "States": machine["States"]},
                context=run.context,
                input=data,
                output=None,
                error=None,
                cause=None,
                start_time=now,
                stop_time=None,
                deadline=run.deadline,
                cursor={"state": machine["StartAt"], "input": data, "phase": "enter"},
                wake_at=now,
                wake_kind=READY,
            )
        )
        return child_id

    def _abort_children(self, children: list[Run | None]) -> None:
        """Abort the running children and everything under them (a branch's own branches and
        iterations too): a run that is no longer RUNNING records nothing more."""
        todo = [c.id for c in children if c is not None and c.status == RUNNING]
        while todo:
            run_id = todo.pop()
            self.store.update_run(run_id, status="ABORTED", stop_time=self.clock.time(), wake_at=None)
            todo.extend(c.id for c in self.store.children(run_id) if c.status == RUNNING)

    def _collect_branches(self, run: Run) -> bool:
        state = self._state(run)
        children = [self.store.get_run(cid) for cid in run.cursor["children"]]
        failed = next((c for c in children if c is not None and c.status == "FAILED"), None)
        if failed is not None:
            self._abort_children(children)
            events = [self._event(run, "ParallelStateFailed")]
            return self._handle_error(run, events, failed.error or "", failed.cause or "")
        if any(c is None or c.status != "SUCCEEDED" for c in children):
            self._save(run, [], wake_at=None, wake_kind=None)
            return False
        results = [c.output for c in children if c is not None]
        events = [self._event(run, "ParallelStateSucceeded")]
        return self._task_result(run, events, state, results)

    # --- map --------------------------------------------------------------------------------
    def _start_map(self, run: Run, events: list[Event], state: dict[str, Any]) -> bool:
        effective = self._effective_input(run, state)
        inputs = mapstate.item_inputs(state, effective, self._context(run))
        limit = mapstate.max_concurrency(state, effective)
        tolerated = mapstate.tolerance(state, effective)
        events.append(self._event(run, "MapStateStarted", length=len(inputs)))
        if not inputs:
            events.append(self._event(run, "MapStateSucceeded"))
            return self._task_result(run, events, state, [])
        cur = {**run.cursor, "phase": "map", "items": inputs, "children": [], "limit": limit, "tolerated": tolerated}
        with self.store.transaction():
            self._launch_iterations(run, cur, state)
            self._save(run, events, cursor=cur, wake_at=None, wake_kind=None)
        self._wake()
        return False

    def _launch_iterations(self, run: Run, cur: dict[str, Any], state: dict[str, Any], running: int = 0) -> None:
        processor = state.get("ItemProcessor") or state["Iterator"]
        limit = cur["limit"] or len(cur["items"])
        while len(cur["children"]) < len(cur["items"]) and running < limit:
            index = len(cur["children"])
            cur["children"].append(self._spawn(run, cur, index, processor, cur["items"][index]))
            running += 1

    def _collect_iterations(self, run: Run) -> bool:
        state = self._state(run)
        cur = dict(run.cursor)
        children = [self.store.get_run(cid) for cid in cur["children"]]
        failed = [c for c in children if c is not None and c.status not in (RUNNING, "SUCCEEDED")]
        verdict = mapstate.failure(failed, len(cur["items"]), cur.get("tolerated"))
        if verdict is not None:
            self._abort_children(children)
            events = [self._event(run, "MapStateFailed")]
            return self._handle_error(run, events, *verdict)
        running = sum(1 for c in children if c is None or c.status == RUNNING)
        if running or len(children) < len(cur["items"]):
            cur["children"] = list(cur["children"])
            self._launch_iterations(run, cur, state, running)
            self._save(run, [], cursor=cur, wake_at=None, wake_kind=None)
            if len(cur["children"]) > len(children):
                self._wake()
            return False
        results = [mapstate.result_of(c) for c in children if c is not None]
        events = [self._event(run, "MapStateSucceeded")]
        return self._task_result(run, events, state, results)
