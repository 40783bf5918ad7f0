"""The tutorial's daily post-incident report (``flows/post-incident-daily.yaml``), reading the
last 24 hours of runs from the store instead of ``/tmp`` files, posted to its Slack channel."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ..errors import ConfigurationError
from ..nodes.notify import Notifier
from ..spec import AgentFlowResource, AgentResource, Resources, load_resources
from ..store import Store
from .analyzer import ANALYZER, analyse
from .records import incident_record
from .redact import Redactor

DAILY_FLOW = "post-incident-daily"
DEFAULT_CHANNEL = "#sre-postmortems"
WINDOW = timedelta(days=1)


@dataclass
class DailyReport:
    since: datetime
    runs: int
    channel: str
    text: str
    posted: tuple[str, str] | None


def _flow_settings(flow: AgentFlowResource | None) -> tuple[str, str]:
    """The analyzer agent and the channel as the daily flow names them."""
    agent, channel = ANALYZER, DEFAULT_CHANNEL
    for node in flow.spec.nodes if flow else []:
        config: Any = getattr(node, "config", None)
        values = config if isinstance(config, dict) else (config.model_dump() if hasattr(config, "model_dump") else {})
        if node.type == "Agent" and values.get("agent"):
            agent = str(values["agent"])
        if node.type == "Slack" and values.get("channel"):
            channel = str(values["channel"])
    return agent, channel


def load_daily(paths: list[str]) -> tuple[AgentResource, str]:
    """The analyzer agent and channel from the project's YAML (``agents/``, ``flows/``)."""
    resources: Resources = load_resources(paths)
    agent_name, channel = _flow_settings(resources.flows.get(DAILY_FLOW))
    return resources.agents[agent_name], channel


def daily_from_definition(definition: Mapping[str, Any]) -> tuple[AgentResource, str]:
    """The analyzer agent and channel from the daily flow's applied state machine.

    A Lambda package holds ``app.py`` and ``chalicelib/`` only, not the project's YAML. What
    ``aofctl apply`` deployed is the truth in the cloud anyway, and every Task state's payload
    carries its node's config and, for an agent node, the agent's whole resource.
    """
    agent_name, channel = ANALYZER, DEFAULT_CHANNEL
    agents: dict[str, Any] = {}
    for payload in _task_payloads(definition.get("States") or {}):
        node = payload.get("node") or {}
        config = node.get("config") or {}
        agents.update(payload.get("agents") or {})
        if node.get("type") == "Agent" and config.get("agent"):
            agent_name = str(config["agent"])
        if node.get("type") == "Slack" and config.get("channel"):
            channel = str(config["channel"])
    if agent_name not in agents:
        raise ConfigurationError(f"the applied {DAILY_FLOW} state machine carries no agent {agent_name!r}")
    return AgentResource.model_validate(agents[agent_name]), channel


def _task_payloads(states: Mapping[str, Any]) -> list[dict[str, Any]]:
    payloads: list[dict[str, Any]] = []
    for state in states.values():
        for branch in state.get("Branches") or []:
            payloads.extend(_task_payloads(branch.get("States") or {}))
        payload = (state.get("Parameters") or {}).get("Payload")
        if state.get("Type") == "Task" and isinstance(payload, dict):
            payloads.append(payload)
    return payloads


def run_daily_analysis(
    store: Store,
    notifier: Notifier,
    env: Mapping[str, str],
    now: datetime,
    *,
    agent: AgentResource | None = None,
    channel: str | None = None,
    paths: list[str] | None = None,
) -> DailyReport:
    """Analyse the runs started in the 24 hours before ``now`` and post the report.

    ``agent``/``channel`` default to what ``flows/post-incident-daily.yaml`` names, loaded
    from ``paths`` (default: ``agents`` and ``flows`` of the working directory).
    """
    if agent is None:
        agent, found_channel = load_daily(paths or ["agents", "flows"])
        channel = channel or found_channel
    channel = channel or DEFAULT_CHANNEL
    since = now - WINDOW
    runs = [r for r in store.runs.list_runs(None, since, 1000) if r.flow != DAILY_FLOW]
    records = [incident_record(run, store.runs.events(run.run_id)) for run in reversed(runs)]
    if records:
        body = analyse(agent, records, env, "all incidents from the past 24 hours")
    else:
        body = "# Post-incident report\n\nNo incidents in the past 24 hours."
    text = Redactor(env).text(f"{body}\n\n_{len(records)} run(s) since {since.isoformat()}_")
    posted = notifier.post(DAILY_FLOW, channel, text, None)
    return DailyReport(since=since, runs=len(records), channel=channel, text=text, posted=posted)
