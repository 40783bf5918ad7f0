"""Starting a run in the cloud: record it, then StartExecution (its name makes it idempotent)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ..errors import AlreadyExists
from ..store import RunEvent, RunRecord


def start_remote_run(
    store: Any,
    runtime: Any,
    flow: str,
    flow_event: dict[str, Any],
    name: str,
    rate_limit: dict[str, Any] | None = None,
) -> str:
    # The two modules, not the package: the webhook Lambda must not load the policy gate.
    from ..policy.admission import RunAdmission
    from ..policy.rate_limit import RateLimitSettings

    incident = flow_event.get("incident") or {}
    admission = RunAdmission(store.budgets, RateLimitSettings.from_dict(rate_limit) if rate_limit else None)
    try:
        store.runs.create_run(
            RunRecord(
                run_id=name,
                flow=flow,
                incident_id=str(incident.get("id") or "") or None,
                status="running",
                title=str(incident.get("title") or "")[:500],
            )
        )
        store.runs.append_event(name, RunEvent(type="RunStarted", details={"flow": flow}))
        decision = admission.admit(flow, name)
        if not decision.admitted:
            # Recorded and handed to a human at once: no execution, no automatic action.
            store.runs.append_event(name, RunEvent(type="Escalated", details={"reason": decision.reason}))
            store.runs.update_run(name, status="escalated", outcome="escalated", ended_at=datetime.now(UTC))
            return name
    except AlreadyExists:
        # A concurrent copy of this delivery recorded the run first. It alone decides admission:
        # if it escalated the run, or takes no ticket, nothing may start here either.
        existing = store.runs.get_run(name)
        if existing is not None and existing.outcome is not None:
            return name
        if not admission.admit(flow, name).admitted:
            return name
    state = {
        "event": flow_event,
        "vars": {},
        "nodes": {},
        "flow": {"name": flow, "run_id": name, "started_at": datetime.now(UTC).isoformat()},
    }
    try:
        execution = runtime.start_execution(flow, state, name=name)
        store.runs.update_run(name, execution_arn=execution)
    except AlreadyExists:
        pass
    return name


TERMINAL = ("SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED")


def finish_remote_run(store: Any, runtime: Any, execution_arn: str) -> str | None:
    """Record a finished execution's outcome on its run; idempotent, None when not ours or running.

    In the cloud this runs on Step Functions' "Execution Status Change" event, the same way
    the embedded app records an outcome when its engine reports the end of an execution.
    """
    from .outcome import outcome_of, resolution_of, severity_of

    description = runtime.describe(execution_arn)
    if description.status not in TERMINAL:
        return None
    run = store.runs.get_run(description.name)
    if run is None:
        return None
    if run.outcome is not None:
        return str(run.outcome)
    outcome = outcome_of(description.status, description.output)
    status = {"resolved": "succeeded", "escalated": "escalated", "failed": "failed"}[outcome]
    resolution = resolution_of(description.status, description.output, store.runs.events(run.run_id))
    store.runs.update_run(
        run.run_id,
        status=status,
        outcome=outcome,
        extra={**run.extra, "resolution": resolution},
        ended_at=description.stop_date or datetime.now(UTC),
        severity=severity_of(description.output),
    )
    store.runs.append_event(run.run_id, RunEvent(type="RunFinished", details={"outcome": outcome, **resolution}))
    from ..metrics import emit_run_metrics
    from ..policy.admission import RunAdmission

    RunAdmission(store.budgets, None).release(run.flow, run.run_id)
    finished = store.runs.get_run(run.run_id)
    if finished is not None:
        emit_run_metrics(finished, store.runs.events(run.run_id), runtime.history(execution_arn))
    return outcome
