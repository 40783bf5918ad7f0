"""A run on the embedded engine told by its structured log: every line JSON with the run's
fields, each node's start and end, each state change, the policy's decisions, no secret; and
``aofctl logs RUN --system`` shows exactly those lines."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from tests.local.flows.conftest import Tutorial
from tests.local.routes.support import SECRETS, bearer, tutorial

RUN_FIELDS = ("run_id", "incident_id", "flow", "node", "attempt")


def log_lines(t: Tutorial) -> tuple[str, list[dict[str, Any]]]:
    path = Path(t.env["AOF_STATE_DIR"]) / "logs" / "system.jsonl"
    text = path.read_text(encoding="utf-8")
    lines = [json.loads(line) for line in text.splitlines()]  # every line is one JSON object
    return text, lines


def test_a_tutorial_run_is_told_line_by_line_in_the_structured_log(tutorial_app, capsys) -> None:
    t = tutorial_app("TEST001")
    answer = t.client.http.post("/pagerduty/webhook", headers=bearer(), body=json.dumps(tutorial("TEST001")))
    assert answer.status_code == 202, answer.body
    run_id = json.loads(answer.body)["run_id"]
    assert t.outcome(run_id) == "resolved"

    text, lines = log_lines(t)
    assert all(isinstance(line, dict) and set(RUN_FIELDS) <= line.keys() for line in lines), "a line lacks run fields"
    assert {line["service"] for line in lines} == {"aof-incident-response"}
    ours = [line for line in lines if line["run_id"] == run_id]
    assert {(line["incident_id"], line["flow"]) for line in ours} == {("TEST001", "incident-auto-response")}

    messages = [line["message"] for line in lines]
    assert "webhook received" in messages
    started = [line for line in lines if line["message"] == "run started"]
    assert [(s["run_id"], s["incident_id"], s["route"]) for s in started] == [(run_id, "TEST001", "/pagerduty/webhook")]

    # Each node: a start and an end line, with its node id and attempt, and the engine's state
    # entered/exited around it.
    starts = Counter((line["node"], line["attempt"]) for line in ours if line["message"] == "node started")
    ends = Counter((line["node"], line["attempt"]) for line in ours if line["message"] == "node finished")
    tasks = [
        e["stateEnteredEventDetails"]["name"]
        for e in t.local.runtime.history(t.local.store.runs.get_run(run_id).execution_arn)
        if e["type"] == "TaskStateEntered"
    ]
    assert tasks and starts == ends and sorted(n for n, _ in starts) == sorted(tasks)
    assert all(attempt >= 1 for _, attempt in starts)
    entered = {line["node"] for line in ours if line["message"] == "state entered"}
    exited = {line["node"] for line in ours if line["message"] == "state exited"}
    assert set(tasks) <= entered and set(tasks) <= exited
    assert [line["status"] for line in ours if line["message"] == "execution finished"] == ["SUCCEEDED"]

    # The remediation's change was judged by the policy, and the line names the command.
    decisions = [line for line in ours if line["message"].startswith("policy ")]
    changes = [d for d in decisions if d["decision"] == "allowed" and d["kind"] != "read"]
    assert changes, [d["message"] for d in decisions]
    assert all(d["argv"][0] == "kubectl" and d["node"] and d["change"] for d in changes)

    for secret in SECRETS:
        assert secret not in text, "a secret reached the structured log"

    # aofctl logs RUN --system -o json prints exactly the run's lines, as written.
    from chalicelib.cli.main import main

    capsys.readouterr()
    assert main(["logs", run_id, "--system", "-o", "json", "--state-dir", t.env["AOF_STATE_DIR"]]) == 0
    shown = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert shown == ours
    # The readable form: one line each, with the node and attempt.
    assert main(["logs", "TEST001", "--system", "--state-dir", t.env["AOF_STATE_DIR"]]) == 0
    readable = capsys.readouterr().out.splitlines()
    assert len(readable) == len(ours)
    assert any(f" {tasks[0]}#1 " in line and "node started" in line for line in readable)
