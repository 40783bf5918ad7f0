"""The run lifecycle, once: start (with dedup and admission), node finished (escalation), finish,
takeover by a human, stop, storm escalation and metrics.

It works over ports only (runtime, store, notifier, pager, metrics, flow catalog); the two
composition roots (:mod:`.deployed` and :mod:`.embedded`) decide what stands behind them.
Nothing here knows whether it runs on Step Functions or on the embedded engine.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from ..errors import AlreadyExists, RunStopped, WaitingForActingSlot
from ..policy.admission import RunAdmission
from ..policy.rate_limit import RateLimitSettings
from ..store.records import RunEvent, RunRecord
from ..store.stops import HUMAN_TOOK_OVER, RUN_STOPPED, STOPPED_STATUS, stop_reason
from .outcome import outcome_of, resolution_of, severity_of

if TYPE_CHECKING:
    from ..nodes.deps import NodeDeps
    from ..nodes.notify import Notifier
    from ..runtime.base import Runtime
    from ..store import Store
    from ..webhooks.incident import IncidentEvent
    from .run_ports import FlowCatalog, Metrics, Pager

# The node dispatcher (123 ms: every node handler) is imported when a node runs in-process,
# never on the webhook route.

#: Execution statuses after which nothing more happens (Step Functions' and the engine's words).
TERMINAL = frozenset({"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"})
#: Where a run the rate limit turns away is announced.
STORM_CHANNEL = "#incidents"
#: What a node puts in its result's ``meta`` to hand the incident to a human.
ESCALATE = "escalate"

_STATUS_OF = {"resolved": "succeeded", "escalated": "escalated", "failed": "failed"}


class RunService:
    def __init__(
        self,
        *,
        runtime: Runtime,
        store: Store,
        notifier: Notifier,
        pager: Pager | None,
        metrics: Metrics,
        flows: FlowCatalog,
    ) -> None:
        self.runtime = runtime
        self.store = store
        self.notifier = notifier
        self.pager = pager
        self.metrics = metrics
        self.flows = flows

    # -- start ------------------------------------------------------------------------------

    def flow_for_path(self, path: str) -> str | None:
        return self.flows.flow_for_path(path)

    def admission(self, flow: str) -> RunAdmission:
        limits = self.flows.rate_limit(flow)
        return RunAdmission(self.store.budgets, RateLimitSettings.from_dict(limits) if limits else None)

    def start(self, flow: str, flow_event: dict[str, Any], name: str) -> str:
        """Record the run and start its execution; a repeated name starts nothing new.

        The run id is the execution name, so the first copy of a delivery to record the run owns
        its admission: a repeat never starts an execution for a run the first escalated, nor
        takes an extra ticket, and the runtime itself refuses a second execution of the name.
        """
        incident = flow_event.get("incident") or {}
        admission = self.admission(flow)
        try:
            self.store.runs.create_run(
                RunRecord(
                    run_id=name,
                    flow=flow,
                    incident_id=str(incident.get("id") or "") or None,
                    event_id=str(flow_event.get("event_id") or "") or None,
                    status="running",
                    title=str(incident.get("title") or "")[:500],
                )
            )
        except AlreadyExists:
            existing = self.store.runs.get_run(name)
            if existing is not None and existing.outcome is not None:
                return name
            if not admission.admit(flow, name).admitted:
                return name
        else:
            self.store.runs.append_event(name, RunEvent(type="RunStarted", details={"flow": flow}))
            decision = admission.admit(flow, name)
            if not decision.admitted:
                self._escalate_storm(name, incident, decision.reason)
                return name
        state = {
            "event": flow_event,
            "vars": {},
            "nodes": {},
            "flow": {"name": flow, "run_id": name, "started_at": datetime.now(UTC).isoformat()},
        }
        try:
            execution = self.runtime.start_execution(flow, state, name=name)
            self.store.runs.update_run(name, execution_arn=execution)
        except AlreadyExists:
            pass
        return name

    def _escalate_storm(self, run_id: str, incident: dict[str, Any], reason: str) -> None:
        """Recorded and handed to a human at once: no execution, no automatic action."""
        details: dict[str, Any] = {"reason": reason}
        title = str(incident.get("title") or run_id)
        try:
            self.notifier.post(
                str(incident.get("id") or run_id),
                STORM_CHANNEL,
                f"🔴 Not handled automatically ({reason}): {title}",
                None,
            )
        except Exception as error:  # the run is recorded as escalated whether or not Slack answered
            details["notify_error"] = type(error).__name__
        self.store.runs.append_event(run_id, RunEvent(type="Escalated", details=details))
        self.store.runs.update_run(run_id, status="escalated", outcome="escalated", ended_at=datetime.now(UTC))

    # -- while it runs ------------------------------------------------------------------------

    def run_node(self, function: str, payload: dict[str, Any], deps: NodeDeps) -> dict[str, Any]:
        """A node task, as the Lambda and the embedded engine both run it: the node's handler,
        then :meth:`node_finished` with what it returned."""
        from ..nodes.dispatch import run_task  # the node functions only, not the webhook

        run_id, node = task_identity(payload)
        if (payload.get("node") or {}).get("type") == "Agent":
            self.take_acting_slot(run_id, payload)
        result = run_task(function, payload, deps)
        self.node_finished(run_id, node, result)
        return result

    def take_acting_slot(self, run_id: str, payload: dict[str, Any]) -> None:
        """Hold an acting slot of the flow's ``rate_limit`` (compiled into the payload) for an
        agent step, or fail at once with :class:`WaitingForActingSlot`.

        No sleep here: a Lambda that sleeps is billed for it and may outlive its Task state. The
        compiled definition retries ``WaitingForActingSlot`` every few seconds for the rate
        limit's ``timeout_seconds`` (Step Functions waits, or the embedded engine's timer), and a
        queued run takes its turn when a slot frees.
        """
        rate_limit = payload.get("rate_limit") or (payload.get("flow") or {}).get("rate_limit")
        if not rate_limit:
            return
        flow = str((payload.get("flow") or {}).get("name") or "flow")
        stopped = stop_reason(self.store, run_id)
        if stopped:
            raise RunStopped(f"stopped while waiting for an acting slot of flow {flow}: {stopped}")
        limits = RateLimitSettings.from_dict(rate_limit)
        if not RunAdmission(self.store.budgets, limits).acquire_acting(flow, run_id):
            raise WaitingForActingSlot(f"all {limits.max_concurrent} acting slots of flow {flow} are taken")

    def node_finished(self, run_id: str, node_id: str | None, result: Any) -> None:
        """A node's handler returned ``result``; a node that asks for a human gets one.

        The agent node only says what it found (``meta.escalate``); paging PagerDuty is done here,
        once, whichever runtime ran the node.
        """
        meta = result.get("meta") if isinstance(result, dict) else None
        request = meta.get(ESCALATE) if isinstance(meta, dict) else None
        if isinstance(request, dict):
            self.escalate(run_id, node_id, request)

    def escalate(self, run_id: str, node_id: str | None, request: dict[str, Any]) -> dict[str, Any]:
        """A PagerDuty note with what was tried, the incident reassigned to its escalation policy
        when it names one, and an ``Escalated`` event that says what reached PagerDuty."""
        note = str(request.get("note") or "")
        incident_id = str(request.get("incident_id") or "")
        details: dict[str, Any] = {"note": note}
        if self.pager is not None and incident_id:
            try:
                self.pager.add_note(incident_id, note)
                policy = request.get("escalation_policy_id")
                if policy:
                    self.pager.reassign_to_escalation_policy(incident_id, str(policy))
                    details["reassigned_to"] = policy
            except Exception as error:  # paging must not hide the run's own result
                details["pagerduty_error"] = type(error).__name__
        if self.store.runs.get_run(run_id) is not None:
            self.store.runs.append_event(run_id, RunEvent(type="Escalated", node_id=node_id, details=details))
        return details

    # -- the end ----------------------------------------------------------------------------

    def finish(self, execution_id: str) -> str | None:
        """Record a finished execution's outcome on its run; idempotent. None while it runs or
        when the execution is not one of our runs."""
        description = self.runtime.describe(execution_id)
        if description.status not in TERMINAL:
            return None
        run = self.store.runs.get_run(description.name)
        if run is None:
            return None
        if run.outcome is not None:
            return str(run.outcome)
        outcome = outcome_of(description.status, description.output)
        status = _STATUS_OF[outcome]
        resolution = resolution_of(description.status, description.output, self.store.runs.events(run.run_id))
        if run.status == STOPPED_STATUS and description.status == "ABORTED":
            # Stopped on purpose (or taken over): the incident is with a human, not failed.
            outcome, status = "escalated", STOPPED_STATUS
        self.store.runs.update_run(
            run.run_id,
            status=status,
            outcome=outcome,
            extra={**run.extra, "resolution": resolution},
            ended_at=description.stop_date or datetime.now(UTC),
            severity=severity_of(description.output),
        )
        self.store.runs.append_event(
            run.run_id, RunEvent(type="RunFinished", details={"outcome": outcome, **resolution})
        )
        self.admission(run.flow).release(run.flow, run.run_id)
        finished = self.store.runs.get_run(run.run_id)
        if finished is not None:
            self.metrics.run_finished(finished, self.store.runs.events(run.run_id), self.runtime.history(execution_id))
        return outcome

    def on_incident_update(self, event: IncidentEvent) -> list[str]:
        """A human acknowledged or resolved the incident: cancel pending approvals, stop the runs.

        Safe to call twice: a run already ended is left alone.
        """
        affected: list[str] = []
        for run in self.store.runs.find_run_by_incident(event.incident.id):
            if run.outcome is not None:
                continue
            self._cancel_approvals(run.run_id, f"incident {event.event_type} by a human")
            self.store.runs.append_event(
                run.run_id, RunEvent(type=HUMAN_TOOK_OVER, details={"event_type": event.event_type})
            )
            if run.execution_arn:
                self.runtime.stop_execution(
                    run.execution_arn, error="HumanTookOver", cause=f"{event.event_type} in PagerDuty"
                )
            self.store.runs.update_run(run.run_id, status=STOPPED_STATUS, outcome="escalated")
            self.admission(run.flow).release(run.flow, run.run_id)
            affected.append(run.run_id)
        return affected

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
        self._cancel_approvals(run_id, f"the run was stopped ({reason})")
        if run.execution_arn:
            self.runtime.stop_execution(run.execution_arn, error="RunStopped", cause=reason)
        return True

    def _cancel_approvals(self, run_id: str, why: str) -> None:
        for approval in self.store.approvals.find_pending_by_run(run_id):
            try:
                self.store.approvals.cancel(approval.approval_id, why)
            except AlreadyExists:
                pass  # decided meanwhile: the stopped execution does not act on it


def task_identity(payload: dict[str, Any]) -> tuple[str, str | None]:
    """(run id, node id) of a task payload; the run id is the execution's name."""
    context = payload.get("context") or {}
    run_id = str(context.get("execution_name") or str(context.get("execution_id") or "").rsplit(":", 1)[-1])
    node = (payload.get("node") or {}).get("id") or payload.get("node_id")
    return run_id, str(node) if node else None
