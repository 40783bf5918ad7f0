"""What the console shows, read from the run store and the engine's history. Every value that
leaves this module has passed through the secret redactor; escaping is the pages' job."""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..errors import NotFound
from ..nodes.models import NodeInput, TaskContext
from ..nodes.slack import approval_id_for
from ..reports.html import postmortem_html
from ..reports.markdown import postmortem_markdown
from ..reports.redact import Redactor
from ..reports.summary import FlowSummary, percentile, run_seconds, summarise
from ..reports.timeline import TimelineEntry, build_timeline, path_taken
from ..store import ApprovalRecord, RunEvent, RunRecord, Store
from ..store.records import RUN_STATUSES
from .status import StateRun, _value, state_runs

PAGE_SIZE = 25
#: The most runs a list or a flow page reads; the embedded default keeps far fewer.
SCAN_LIMIT = 5000
POLICY_EVENTS = ("PolicyAllowed", "PolicyDenied")
CHANGE_EVENTS = ("ChangeSnapshot", "ChangeMonitored", "ChangeRolledBack")
_SLACK_ID = re.compile(r"^[A-Z0-9]{2,20}$")
_SLACK_TS = re.compile(r"^\d{6,12}\.\d{1,8}$")
_INCIDENT_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


@dataclass
class RunsPage:
    runs: list[RunRecord]
    page: int
    pages: int
    total: int
    flow: str | None
    status: str | None
    flows: list[str]


@dataclass
class Link:
    label: str
    url: str


@dataclass
class RunView:
    run: RunRecord
    definition: dict[str, Any] | None
    states: dict[str, StateRun]
    events: list[RunEvent]
    timeline: list[TimelineEntry]
    tool_calls: list[dict[str, Any]]
    policy: list[RunEvent]
    changes: list[RunEvent]
    approvals: list[ApprovalRecord]
    links: list[Link]
    execution_status: str | None
    duration: float | None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class FlowView:
    summary: FlowSummary
    mttr_by_day: list[tuple[str, float, float, int]]  # day, p50, p90, resolved runs
    rate_by_day: list[tuple[str, float, int]]  # day, success rate, finished runs


def slack_link(channel: str | None, ts: str | None) -> str | None:
    """Slack's archive link to a message; only well-formed ids make a link."""
    if not channel or not ts or not _SLACK_ID.match(channel) or not _SLACK_TS.match(ts):
        return None
    return f"https://slack.com/archives/{channel}/p{ts.replace('.', '')}"


def pagerduty_link(incident_id: str | None, html_url: Any = None) -> str | None:
    if isinstance(html_url, str) and re.match(r"^https://[A-Za-z0-9.-]+\.pagerduty\.com/", html_url):
        return html_url
    if incident_id and _INCIDENT_ID.match(incident_id):
        return f"https://app.pagerduty.com/incidents/{incident_id}"
    return None


class ConsoleData:
    """Read side of the console over one store and one runtime."""

    def __init__(
        self,
        store: Store,
        runtime: Any,
        definitions: Mapping[str, dict[str, Any]],
        env: Mapping[str, str],
    ) -> None:
        self.store = store
        self.runtime = runtime
        self.definitions = dict(definitions)
        self.redactor = Redactor(env)

    # -- runs -------------------------------------------------------------------------------

    def runs_page(self, flow: str | None, status: str | None, page: int) -> RunsPage:
        flow = flow if flow in self.definitions else None
        status = status if status in RUN_STATUSES else None
        runs = [self._shown(r) for r in self.store.runs.list_runs(flow, None, SCAN_LIMIT)]
        if status:
            runs = [r for r in runs if r.status == status]
        runs.sort(key=lambda r: r.started_at, reverse=True)
        pages = max(1, -(-len(runs) // PAGE_SIZE))
        page = min(max(1, page), pages)
        chosen = runs[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
        return RunsPage(
            [self._clean_run(r) for r in chosen], page, pages, len(runs), flow, status, sorted(self.definitions)
        )

    def _shown(self, run: RunRecord) -> RunRecord:
        """The list says which running runs wait for a human, as the run page does."""
        if run.status != "running" or not self.store.approvals.find_pending_by_run(run.run_id):
            return run
        return run.replace(status="waiting_approval")

    def _clean_run(self, run: RunRecord) -> RunRecord:
        return RunRecord.from_dict(self.redactor.value(run.to_dict()))

    def history(self, run: RunRecord) -> list[dict[str, Any]]:
        if not run.execution_arn:
            return []
        try:
            history: list[dict[str, Any]] = self.runtime.history(run.execution_arn)
        except Exception:  # a run refused before it started has no execution
            return []
        return history

    def execution_status(self, run: RunRecord) -> str | None:
        if not run.execution_arn:
            return None
        try:
            return str(self.runtime.describe(run.execution_arn).status)
        except Exception:
            return None

    def live(self, run_id: str) -> dict[str, Any] | None:
        """What a following page needs to refresh: cheap enough to poll twice a second."""
        run = self.store.runs.get_run(run_id)
        if run is None:
            return None
        states = state_runs(self.history(run))
        events = self.store.runs.events(run_id)
        pending = [a.approval_id for a in self.store.approvals.find_pending_by_run(run_id)]
        return {
            "run": {"status": _shown_status(run, bool(pending)), "outcome": run.outcome, "ended_at": run.ended_at},
            "states": {name: s.status for name, s in states.items()},
            "events": len(events),
            "pending": pending,
            "finished": run.outcome is not None or run.status in ("succeeded", "failed", "escalated", "cancelled"),
        }

    def state(self, run_id: str, name: str) -> dict[str, Any] | None:
        run = self.store.runs.get_run(run_id)
        if run is None:
            return None
        found = state_runs(self.history(run)).get(name)
        document = found.to_dict() if found else StateRun(name).to_dict()
        redacted: dict[str, Any] = self.redactor.value(document)
        return redacted

    def run_view(self, run_id: str) -> RunView | None:
        run = self.store.runs.get_run(run_id)
        if run is None:
            return None
        history = self.history(run)
        events = self.store.runs.events(run_id)
        nodes = _node_records(self.runtime, run)
        approvals = self._approvals(run, events)
        clean_events = [RunEvent.from_dict(self.redactor.value(e.to_dict())) for e in events]
        tool_calls = []
        for event in clean_events:
            if event.type == "AgentCall":
                for call in event.details.get("tool_calls") or []:
                    if isinstance(call, dict):
                        tool_calls.append({"node": event.node_id, "agent": event.details.get("agent"), **call})
        started = history[0] if history else {}
        flow_input = (started.get("executionStartedEventDetails") or {}).get("input")
        incident = _incident(flow_input)
        links = []
        pd = pagerduty_link(run.incident_id, incident.get("html_url"))
        if pd:
            links.append(Link(f"PagerDuty incident {run.incident_id}", pd))
        for approval in approvals:
            slack = slack_link(approval.channel, approval.thread_ts or approval.message_ts)
            if slack:
                links.append(Link(f"Slack thread ({approval.node_id})", slack))
                break
        waiting = any(a.status == "pending" and a.expires_at > time.time() for a in approvals)
        return RunView(
            run=self._clean_run(run).replace(status=_shown_status(run, waiting)),
            definition=self.definitions.get(run.flow),
            states=state_runs(history),
            events=clean_events,
            timeline=[TimelineEntry(**self.redactor.value(t.to_dict())) for t in build_timeline(run, events, nodes)],
            tool_calls=tool_calls,
            policy=[e for e in clean_events if e.type in POLICY_EVENTS],
            changes=[e for e in clean_events if e.type in CHANGE_EVENTS],
            approvals=[ApprovalRecord.from_dict(self.redactor.value(a.to_dict())) for a in approvals],
            links=links,
            execution_status=self.execution_status(run),
            duration=run_seconds(run),
        )

    def _approvals(self, run: RunRecord, events: list[RunEvent]) -> list[ApprovalRecord]:
        found: dict[str, ApprovalRecord] = {
            a.approval_id: a for a in self.store.approvals.find_pending_by_run(run.run_id)
        }
        # Decided approvals are found by the id their node derives from the execution.
        if not run.execution_arn:  # refused before it started: it never asked for anything
            return sorted(found.values(), key=lambda a: a.created_at)
        for node_id in sorted({e.node_id for e in events if e.node_id}):
            probe = NodeInput(
                node={"id": node_id, "type": "Slack"}, context=TaskContext(execution_id=run.execution_arn)
            )
            record = self.store.approvals.get_approval(approval_id_for(probe))
            if record is not None and record.run_id == run.run_id:
                found.setdefault(record.approval_id, record)
        return sorted(found.values(), key=lambda a: a.created_at)

    def artifact(self, run_id: str, ref: str) -> str | None:
        """One of the run's artifacts (a change's snapshot), redacted; None if not the run's."""
        if not ref.startswith(f"artifact://{run_id}/") or ref not in self.store.artifacts.list_artifacts(run_id):
            return None
        try:
            content = self.store.artifacts.get_artifact(ref)
        except (NotFound, ValueError):
            return None
        return self.redactor.text(content.decode("utf-8", errors="replace"))

    def pending_approval(self, run_id: str, approval_id: str) -> ApprovalRecord | None:
        record = self.store.approvals.get_approval(approval_id)
        return record if record is not None and record.run_id == run_id else None

    def postmortem(self, view: RunView) -> str:
        return postmortem(view)

    def postmortem_page(self, run_id: str, flow_graph: Any) -> str | None:
        """The report's HTML page (``aofctl report --html``) of a run."""
        run = self.store.runs.get_run(run_id)
        if run is None:
            return None
        events = self.store.runs.events(run_id)
        nodes = _node_records(self.runtime, run)
        page = postmortem_html(run, build_timeline(run, events, nodes), flow_graph, path_taken(nodes, events))
        return self.redactor.text(page)

    # -- flows ------------------------------------------------------------------------------

    def flow_view(self, flow: str) -> FlowView | None:
        if flow not in self.definitions:
            return None
        runs = self.store.runs.list_runs(flow, None, SCAN_LIMIT)
        events = {r.run_id: self.store.runs.events(r.run_id) for r in runs}
        histories = {r.run_id: self.history(r) for r in runs}
        summary = summarise(flow, runs, events, histories)
        return FlowView(summary, _mttr_by_day(runs), _rate_by_day(runs))


def _shown_status(run: RunRecord, waiting: bool) -> str:
    """A running run with an approval pending is shown as waiting for it."""
    return "waiting_approval" if waiting and run.status == "running" else run.status


def _day(run: RunRecord) -> str:
    return run.started_at[:10]


def _mttr_by_day(runs: list[RunRecord]) -> list[tuple[str, float, float, int]]:
    by_day: dict[str, list[float]] = {}
    for run in runs:
        seconds = run_seconds(run)
        if run.outcome == "resolved" and seconds is not None:
            by_day.setdefault(_day(run), []).append(seconds)
    return [
        (day, percentile(values, 50) or 0.0, percentile(values, 90) or 0.0, len(values))
        for day, values in sorted(by_day.items())
    ]


def _rate_by_day(runs: list[RunRecord]) -> list[tuple[str, float, int]]:
    by_day: dict[str, list[bool]] = {}
    for run in runs:
        if run.outcome is not None:
            by_day.setdefault(_day(run), []).append(run.outcome == "resolved")
    return [(day, sum(v) / len(v), len(v)) for day, v in sorted(by_day.items())]


def _incident(flow_input: Any) -> dict[str, Any]:
    value = _value(flow_input)
    event = value.get("event") if isinstance(value, dict) else None
    incident = event.get("incident") if isinstance(event, dict) else None
    return incident if isinstance(incident, dict) else {}


def _node_records(runtime: Any, run: RunRecord) -> dict[str, Any]:
    if not run.execution_arn:
        return {}
    try:
        output = runtime.describe(run.execution_arn).output
    except Exception:
        return {}
    nodes = output.get("nodes") if isinstance(output, dict) else None
    return dict(nodes) if isinstance(nodes, dict) else {}


def postmortem(view: RunView) -> str:
    """The run's postmortem (markdown), from what is already on the page (redacted)."""
    return postmortem_markdown(view.run, view.timeline)
