"""A flow's figures from its runs: outcomes, time to resolve, per-node durations, approvals
waited and LLM tokens. The same figures feed ``describe`` and the CloudWatch metrics."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..store import RunEvent, RunRecord

FINISHED = ("resolved", "escalated", "failed")


def parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def run_seconds(run: RunRecord) -> float | None:
    start, end = parse_time(run.started_at), parse_time(run.ended_at)
    return (end - start).total_seconds() if start and end else None


def percentile(values: Sequence[float], p: float) -> float | None:
    """Nearest-rank percentile (the figure is one of the runs, not an interpolation)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def tokens_of(events: Iterable[RunEvent]) -> tuple[int, int]:
    """(input, output) LLM tokens of every model call the run's agents made."""
    tokens_in = tokens_out = 0
    for event in events:
        if event.type != "AgentCall":
            continue
        for call in event.details.get("model_calls") or []:
            tokens_in += int(call.get("input_tokens") or 0)
            tokens_out += int(call.get("output_tokens") or 0)
    return tokens_in, tokens_out


def state_durations(history: list[dict[str, Any]]) -> dict[str, float]:
    """Seconds spent in each state (entered -> exited) of one execution."""
    entered: dict[str, datetime] = {}
    out: dict[str, float] = {}
    for item in history:
        kind = str(item.get("type", ""))
        # Task states only: Choice and Pass states take no time worth showing.
        if kind in ("TaskStateEntered", "TaskStateExited"):
            details = item.get("stateEnteredEventDetails") or item.get("stateExitedEventDetails") or {}
            name, at = str(details.get("name", "")), parse_time(str(item.get("timestamp", "")))
            if not name or at is None:
                continue
            if kind == "TaskStateEntered":
                entered[name] = at
            elif name in entered:
                out[name] = out.get(name, 0.0) + (at - entered.pop(name)).total_seconds()
    return out


def resolution_kind(run: RunRecord, events: Sequence[RunEvent]) -> str:
    """What a finished run really did; runs recorded before resolutions were kept are read
    from their approval decisions."""
    recorded = (run.extra or {}).get("resolution")
    if isinstance(recorded, dict) and recorded.get("kind"):
        return str(recorded["kind"])
    decisions = [str(e.details.get("decision")) for e in events if e.type == "ApprovalDecided"]
    if run.outcome == "resolved":
        return "resolved after approval" if "approve" in decisions else "auto-resolved"
    if run.outcome == "escalated" and decisions and decisions[-1] in ("skip", "pause"):
        return {"skip": "skipped", "pause": "paused"}[decisions[-1]]
    return str(run.outcome)


def approval_waits(events: Iterable[RunEvent], history: list[dict[str, Any]]) -> list[float]:
    """Seconds each decided approval kept the run waiting (its state's time in the history)."""
    durations = state_durations(history)
    return [durations[e.node_id] for e in events if e.type == "ApprovalDecided" and e.node_id in durations]


@dataclass
class FlowSummary:
    flow: str
    runs: int = 0
    finished: int = 0
    resolved: int = 0
    escalated: int = 0
    failed: int = 0
    in_progress: int = 0
    #: Finished runs by what really happened (auto-resolved, resolved after approval, escalated,
    #: skipped, paused, stopped, failed): see ``chalicelib.service.outcome.resolution_of``.
    by_resolution: dict[str, int] = field(default_factory=dict)
    mttr_p50: float | None = None
    mttr_p90: float | None = None
    approvals: int = 0
    approval_wait_p50: float | None = None
    tokens_in: int = 0
    tokens_out: int = 0
    node_durations: dict[str, dict[str, float]] = field(default_factory=dict)

    @property
    def auto_resolved(self) -> int:
        return self.by_resolution.get("auto-resolved", 0)

    @property
    def success_rate(self) -> float | None:
        """Share of finished runs that resolved the incident (with or without an approval)."""
        return self.resolved / self.finished if self.finished else None

    @property
    def auto_resolved_share(self) -> float | None:
        """Share of runs resolved with no human in the loop (an approved run does not count)."""
        return self.auto_resolved / self.runs if self.runs else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "flow": self.flow,
            "runs": self.runs,
            "finished": self.finished,
            "in_progress": self.in_progress,
            "resolved": self.resolved,
            "escalated": self.escalated,
            "failed": self.failed,
            "by_resolution": dict(self.by_resolution),
            "success_rate": _round(self.success_rate),
            "auto_resolved_share": _round(self.auto_resolved_share),
            "mttr_p50_seconds": _round(self.mttr_p50),
            "mttr_p90_seconds": _round(self.mttr_p90),
            "approvals": self.approvals,
            "approval_wait_p50_seconds": _round(self.approval_wait_p50),
            "llm_tokens": {"input": self.tokens_in, "output": self.tokens_out},
            "node_durations": self.node_durations,
        }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def summarise(
    flow: str,
    runs: Sequence[RunRecord],
    events: dict[str, list[RunEvent]],
    histories: dict[str, list[dict[str, Any]]],
) -> FlowSummary:
    summary = FlowSummary(flow=flow, runs=len(runs))
    resolve_times: list[float] = []
    waits: list[float] = []
    per_node: dict[str, list[float]] = {}
    for run in runs:
        if run.outcome in FINISHED:
            summary.finished += 1
            setattr(summary, str(run.outcome), getattr(summary, str(run.outcome)) + 1)
            seconds = run_seconds(run)
            if run.outcome == "resolved" and seconds is not None:
                resolve_times.append(seconds)
        else:
            summary.in_progress += 1
        run_events = events.get(run.run_id, [])
        if run.outcome in FINISHED:
            kind = resolution_kind(run, run_events)
            summary.by_resolution[kind] = summary.by_resolution.get(kind, 0) + 1
        tokens_in, tokens_out = tokens_of(run_events)
        summary.tokens_in += tokens_in
        summary.tokens_out += tokens_out
        history = histories.get(run.run_id, [])
        waits.extend(approval_waits(run_events, history))
        summary.approvals += sum(1 for e in run_events if e.type in ("ApprovalDecided", "ApprovalTimedOut"))
        for state, seconds in state_durations(history).items():
            per_node.setdefault(state, []).append(seconds)
    summary.mttr_p50, summary.mttr_p90 = percentile(resolve_times, 50), percentile(resolve_times, 90)
    summary.approval_wait_p50 = percentile(waits, 50)
    summary.node_durations = {
        name: {"runs": len(v), "p50": round(percentile(v, 50) or 0.0, 3), "max": round(max(v), 3)}
        for name, v in per_node.items()
    }
    return summary
