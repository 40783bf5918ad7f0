"""Starting a run in the cloud: record it, then StartExecution (its name makes it idempotent)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ..errors import AlreadyExists
from ..store import RunEvent, RunRecord


def start_remote_run(store: Any, runtime: Any, flow: str, flow_event: dict[str, Any], name: str) -> str:
    incident = flow_event.get("incident") or {}
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
    except AlreadyExists:
        pass
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
