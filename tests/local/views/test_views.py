"""The views over real sandbox incidents: figures, logs and run history agree with the store."""

from __future__ import annotations

import json
import math
from collections.abc import Callable

from chalicelib.store import open_store
from tests.support.recorded import APPROVER, SECRETS, RecordedIncidents

FLOW = "incident-auto-response"
Aofctl = Callable[..., tuple[int, str]]


def _nearest_rank(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(1, math.ceil(p / 100 * len(ordered))) - 1]


def test_describe_figures_match_the_recorded_runs(aofctl: Aofctl, incidents: RecordedIncidents) -> None:
    code, out = aofctl("describe", "agentflow", FLOW, "-o", "json")
    assert code == 0
    figures = json.loads(out)
    expected = {i.outcome for i in incidents.incidents}
    assert expected == {"resolved", "escalated"}
    resolved = [i for i in incidents.incidents if i.outcome == "resolved"]
    assert figures["runs"] == len(incidents.incidents)
    assert figures["resolved"] == len(resolved)
    assert figures["escalated"] == len(incidents.incidents) - len(resolved)
    assert figures["success_rate"] == round(len(resolved) / len(incidents.incidents), 3)
    # Counted apart, in true words: the approved fix is not "automatic"; the skip is not an escalation.
    assert figures["by_resolution"] == {
        "auto-resolved": 1,  # test001, no human asked
        "resolved after approval": 1,  # crashloop-bad-config, approved
        "escalated": 1,  # statefulset-disk-full: approved, rolled back, a human paged
        "skipped": 1,  # unschedulable-pods: the on-call engineer chose skip
    }
    assert figures["auto_resolved_share"] == 0.25
    with open_store(f"sqlite:///{incidents.state_dir / 'aof.db'}") as store:
        said = {i.scenario: store.runs.get_run(i.run_id).extra["resolution"]["text"] for i in incidents.incidents}
    assert said["unschedulable-pods"] == f"remediation skipped by {APPROVER}; the incident stays with them"
    assert said["crashloop-bad-config"] == f"resolved after {APPROVER} approved the plan"
    assert said["statefulset-disk-full"].startswith("escalated")
    with open_store(f"sqlite:///{incidents.state_dir / 'aof.db'}") as store:
        runs = [store.runs.get_run(i.run_id) for i in resolved]
    durations = []
    for run in runs:
        assert run is not None and run.ended_at
        from datetime import datetime

        start = datetime.fromisoformat(run.started_at.replace("Z", "+00:00"))
        end = datetime.fromisoformat(run.ended_at.replace("Z", "+00:00"))
        durations.append((end - start).total_seconds())
    assert figures["mttr_p50_seconds"] == round(_nearest_rank(durations, 50), 3)
    assert figures["mttr_p90_seconds"] == round(_nearest_rank(durations, 90), 3)
    # three incidents asked a human (critical), one was auto-approved
    assert figures["approvals"] == 3
    assert figures["node_durations"]["diagnose"]["runs"] == 4
    assert figures["node_durations"]["rollback"]["runs"] == 1  # only the disk-full run rolled back
    assert {r["run_id"] for r in figures["last_runs"]} == {i.run_id for i in incidents.incidents}


def test_describe_text_has_the_tutorial_success_rate_line(aofctl: Aofctl) -> None:
    code, out = aofctl("describe", "agentflow", FLOW)
    assert code == 0
    lines = [line for line in out.splitlines() if "success_rate" in line]
    assert lines and "50.0%" in lines[0]
    assert "mttr_p50" in out and "Node durations" in out and "diagnose" in out


def test_get_runs_lists_every_run(aofctl: Aofctl, incidents: RecordedIncidents) -> None:
    code, out = aofctl("get", "runs", "--since", "24h", "-o", "json")
    assert code == 0
    runs = json.loads(out)
    assert {r["run_id"]: r["outcome"] for r in runs} == {i.run_id: i.outcome for i in incidents.incidents}
    code, table = aofctl("get", "runs")
    assert code == 0 and all(i.run_id in table for i in incidents.incidents)


def test_logs_agent_shows_each_call_with_its_tool_calls(aofctl: Aofctl, incidents: RecordedIncidents) -> None:
    with open_store(f"sqlite:///{incidents.state_dir / 'aof.db'}") as store:
        calls = [
            e
            for i in incidents.incidents
            for e in store.runs.events(i.run_id)
            if e.type == "AgentCall" and e.details["agent"] == "incident-remediation"
        ]
    code, out = aofctl("logs", "agent", "incident-remediation")
    assert code == 0
    assert out.count("── ") == len(calls) == 4  # remediate x3, rollback x1
    assert "$ [shell] kubectl rollout undo deployment/payment-gateway -n payments  (write, ok)" in out
    assert "input: Execute the following remediation" in out
    assert "tokens: input" in out and '"result": "success"' in out
    code, tail = aofctl("agent", "logs", "incident-remediation", "--tail", "1")
    assert tail.count("── ") == 1
    assert max(c.at for c in calls) in tail


def test_logs_agentflow_and_flow_logs_show_slack_steps(aofctl: Aofctl, incidents: RecordedIncidents) -> None:
    code, out = aofctl("logs", "agentflow", FLOW)
    assert code == 0
    for incident in incidents.incidents:
        assert f"{incident.run_id}  RunFinished" in out
    code, flow_out = aofctl("flow", "logs", FLOW)
    slack = [line for line in flow_out.splitlines() if "slack" in line]
    assert any("notify-diagnosis" in line for line in slack)
    assert any("request-approval" in line for line in flow_out.splitlines())
    code, tail = aofctl("logs", "agentflow", FLOW, "--tail", "3")
    assert len(tail.strip().splitlines()) == 3


def test_logs_of_one_run_follow_its_recorded_events(aofctl: Aofctl, incidents: RecordedIncidents) -> None:
    incident = incidents.by_scenario("statefulset-disk-full")
    code, out = aofctl("logs", incident.run_id)
    assert code == 0
    with open_store(f"sqlite:///{incidents.state_dir / 'aof.db'}") as store:
        events = store.runs.events(incident.run_id)
    positions = [out.index(f"{e.at}  {e.type}") for e in events]
    assert positions == sorted(positions)
    assert "TaskStateEntered rollback" in out and "ExecutionSucceeded" in out


def test_no_secret_appears_in_any_view(aofctl: Aofctl, incidents: RecordedIncidents, tmp_path: object) -> None:
    outputs = []
    for argv in (
        ("describe", "agentflow", FLOW),
        ("describe", "agentflow", FLOW, "-o", "json"),
        ("get", "runs", "-o", "json"),
        ("get", "runs", "-o", "yaml"),
        ("logs", "agentflow", FLOW),
        ("flow", "logs", FLOW),
        ("logs", "agent", "incident-diagnostic"),
        ("logs", "agent", "incident-remediation"),
    ):
        outputs.append(aofctl(*argv)[1])
    for incident in incidents.incidents:
        outputs.append(aofctl("logs", incident.run_id)[1])
        outputs.append(aofctl("report", incident.run_id)[1])
    joined = "\n".join(outputs)
    assert len(joined) > 10_000
    for name, value in SECRETS.items():
        assert value not in joined, name
