"""The tutorial's TEST001 and TEST002, end to end on moto and on the embedded engine.

Each of the four runs (2 incidents x 2 modes) is its own process (see ``incidents.py``); they
run side by side and report what the user would look at: the path through the flow, the
outcome, PagerDuty, Slack and the audit trail in the store.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.cloud.incidents import APPROVER, ROOT
from tests.support.processes import Processes

pytestmark = pytest.mark.slow

RUNS = [(mode, incident) for incident in ("TEST001", "TEST002") for mode in ("cloud", "embedded")]


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], dict[str, Any]]:
    out = tmp_path_factory.mktemp("e2e")
    started = Processes()  # every run is stopped when the module's fixture ends, whatever happened
    procs = []
    try:
        for mode, incident in RUNS:
            path = out / f"{mode}-{incident}.json"
            with (out / f"{mode}-{incident}.log").open("w") as log:
                command = [sys.executable, "-m", "tests.cloud.incidents", mode, incident, str(path)]
                procs.append((mode, incident, path, started.start(command, cwd=ROOT, stdout=log, stderr=log)))
        found: dict[tuple[str, str], dict[str, Any]] = {}
        for mode, incident, path, proc in procs:
            proc.wait(timeout=300)
            assert path.exists(), Path(str(path).replace(".json", ".log")).read_text()[-3000:]
            result = json.loads(path.read_text())
            assert "error" not in result, result.get("traceback")
            found[(mode, incident)] = result
    finally:
        started.stop_all()
    return found


def test_test001_is_resolved_in_the_cloud_without_asking(reports: dict[tuple[str, str], dict[str, Any]]) -> None:
    run = reports[("cloud", "TEST001")]
    assert run["status"] == "SUCCEEDED"
    assert run["outcome"] == "resolved" and run["run_status"] == "succeeded"
    assert run["pagerduty_status"] == "resolved"
    assert "auto-approve" in run["states"] and "request-approval" not in run["states"]
    assert run["approvals"] == []
    # the applied definition called the deployed functions, which ran the real handlers
    assert run["invoked"] == [
        "aof-incident-response-dev-agent_node",
        "aof-incident-response-dev-http_node",
        "aof-incident-response-dev-slack_node",
        "aof-incident-response-dev-transform_node",
    ]
    assert run["store_backend"] == "dynamodb"
    assert any("Incident Auto-Resolved" in text for text in run["slack_texts"])
    # both providers were reached through their SDKs at the scripted servers
    assert run["anthropic_requests"] >= 4 and run["openai_requests"] >= 2


def test_test002_waits_for_the_slack_click_then_resolves(reports: dict[tuple[str, str], dict[str, Any]]) -> None:
    run = reports[("cloud", "TEST002")]
    assert run["status"] == "SUCCEEDED" and run["outcome"] == "resolved"
    assert run["pagerduty_status"] == "resolved"
    assert "request-approval" in run["states"] and "auto-approve" not in run["states"]
    assert run["approval"]["answer"]  # Slack got an answer to the click
    assert [(a["status"], a["decided_by"]) for a in run["approvals"]] == [("approved", APPROVER)]
    assert run["approvals"][0]["plan_hash"]
    assert any("Human Approval Required" in text for text in run["slack_texts"])


@pytest.mark.parametrize("incident", ["TEST001", "TEST002"])
def test_audit_trail_is_in_dynamodb(reports: dict[tuple[str, str], dict[str, Any]], incident: str) -> None:
    events = reports[("cloud", incident)]["events"]
    kinds = [e["type"] for e in events]
    assert kinds[0] == "RunStarted" and kinds[-1] == "RunFinished"
    assert {"AgentCall", "PolicyAllowed", "ChangeSnapshot", "ChangeMonitored"} <= set(kinds)
    assert {e["node"] for e in events if e["type"] == "AgentCall"} == {"diagnose", "remediate", "verify-fix"}


@pytest.mark.parametrize("incident", ["TEST001", "TEST002"])
def test_embedded_engine_takes_the_same_path_to_the_same_end(
    reports: dict[tuple[str, str], dict[str, Any]], incident: str
) -> None:
    cloud, embedded = reports[("cloud", incident)], reports[("embedded", incident)]
    assert embedded["states"] == cloud["states"]
    for field in ("status", "outcome", "run_status", "pagerduty_status"):
        assert embedded[field] == cloud[field], field
    assert [e["type"] for e in embedded["events"]] == [e["type"] for e in cloud["events"]]
    assert [(a["status"], a["decided_by"]) for a in embedded["approvals"]] == [
        (a["status"], a["decided_by"]) for a in cloud["approvals"]
    ]
