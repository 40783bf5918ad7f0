"""Incident records for the post-incident analyzer, built from the store (the same fields the
tutorial's ``log-incident`` node writes to ``/tmp/incident-*.json``)."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..store import RunEvent, RunRecord
from .summary import resolution_kind, run_seconds


def incident_record(run: RunRecord, events: Sequence[RunEvent]) -> dict[str, Any]:
    diagnosis: dict[str, Any] = {}
    change: dict[str, Any] = {}
    approvals = []
    for event in events:
        output = event.details.get("output") if event.type == "AgentCall" else None
        node = (event.node_id or "").lower()
        if isinstance(output, dict) and "root_cause" in output and not diagnosis and "verif" not in node:
            diagnosis = output
        if isinstance(output, dict) and "action_taken" in output and "rollback" not in node and not change:
            change = output
        if event.type == "ApprovalDecided":
            approvals.append({"decision": event.details.get("decision"), "by": event.details.get("by"), "at": event.at})
        if event.type == "ApprovalTimedOut":
            approvals.append({"decision": "timed_out", "by": None, "at": event.at})
    seconds = run_seconds(run)
    return {
        "incident_id": run.incident_id or run.run_id,
        "title": run.title,
        "severity": diagnosis.get("severity") or run.severity,
        "root_cause": diagnosis.get("root_cause", "unknown"),
        "remediation": change.get("action_taken", "none"),
        "result": change.get("result", "not attempted"),
        "duration_seconds": round(seconds, 1) if seconds is not None else None,
        "auto_resolved": resolution_kind(run, events) == "auto-resolved",
        "resolution": resolution_kind(run, events),
        "outcome": run.outcome or run.status,
        "approvals": approvals,
        "timestamp": run.started_at,
        "run_id": run.run_id,
    }


@contextmanager
def written_records(records: Sequence[dict[str, Any]]) -> Iterator[Path]:
    """The records as ``incident-<id>.json`` files in a private directory, removed afterwards.

    The analyzer agent reads them with its own tools (``cat``/``grep``), as in the tutorial.
    """
    with tempfile.TemporaryDirectory(prefix="aof-incidents-") as directory:
        base = Path(directory)
        for i, record in enumerate(records):
            safe = "".join(c if c.isalnum() or c in "-_" else "-" for c in str(record["incident_id"]))
            (base / f"incident-{safe}-{i}.json").write_text(json.dumps(record, indent=2, default=str))
        yield base
