"""kubectl habits for names: an unknown name fails with "did you mean"; `get TYPE NAME` shows one
resource; report, logs and get accept a run as the on-call engineer has it (incident id, prefix)."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
import yaml

from tests.support.recorded import RecordedIncidents

FLOW = "incident-auto-response"
Aofctl = Callable[..., tuple[int, str]]


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["describe", "agentflow", "incident-auto-respons"], "no agentflow named 'incident-auto-respons'"),
        (["logs", "agentflow", "incident-auto-respons"], "no agentflow named 'incident-auto-respons'"),
        (["logs", "agent", "incident-diagnosti"], "no agent named 'incident-diagnosti'"),
        (["get", "flow", "incident-auto-respons"], "no agentflow named 'incident-auto-respons'"),
        (["get", "agent", "incident-diagnosti"], "no agent named 'incident-diagnosti'"),
    ],
)
def test_an_unknown_name_fails_and_says_which_name_was_meant(
    argv: list[str], said: str, aofctl: Aofctl, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = aofctl(*argv)
    err = capsys.readouterr().err
    assert code == 1 and out == ""
    assert err.startswith(f"error: {said}")
    meant = argv[-1] + ("e" if argv[-2] in ("agentflow", "flow") else "c")
    assert f"(did you mean '{meant}'?)" in err


@pytest.mark.parametrize("argv", [["report", "nope"], ["logs", "nope"], ["get", "run", "nope"]])
def test_an_unknown_run_fails(argv: list[str], aofctl: Aofctl, capsys: pytest.CaptureFixture[str]) -> None:
    code, _out = aofctl(*argv)
    assert code == 1
    assert "error: no run, incident or approval 'nope'" in capsys.readouterr().err


def test_get_type_name_shows_that_one_resource(aofctl: Aofctl) -> None:
    code, out = aofctl("get", "flow", FLOW, "-o", "json")
    assert code == 0
    flow = json.loads(out)
    assert flow["metadata"]["name"] == FLOW and flow["kind"] == "AgentFlow"
    code, out = aofctl("get", "agent", "incident-diagnostic", "-o", "yaml")
    assert code == 0 and yaml.safe_load(out)["metadata"]["name"] == "incident-diagnostic"
    code, out = aofctl("get", "flow", FLOW)
    assert code == 0
    header, row = out.splitlines()
    assert header.split()[:2] == ["NAME", "TRIGGER"] and row.split()[0] == FLOW


def test_report_logs_and_get_take_the_incident_id_or_a_prefix(aofctl: Aofctl, incidents: RecordedIncidents) -> None:
    incident = incidents.incidents[0]
    code, out = aofctl("report", incident.incident_id)
    assert code == 0 and incident.run_id in out
    code, out = aofctl("logs", incident.run_id[:-6])
    assert code == 0 and out.startswith(f"Run {incident.run_id}  flow {FLOW}  incident {incident.incident_id}")
    code, out = aofctl("get", "run", incident.incident_id, "-o", "json")
    assert code == 0 and json.loads(out)["run_id"] == incident.run_id
