"""The structured log: one JSON object per line, the run's fields on each, secrets masked
whichever way they arrive, and the Logs Insights query in the docs reads fields it writes."""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from chalicelib.observability import MASK, bind, write_to_file
from chalicelib.observability.logging import logger
from chalicelib.observability.policy import log_decision
from chalicelib.observability.runs import logged_task

ROOT = Path(__file__).resolve().parents[3]
SLACK = "xoxb-1111111111-2222222222-AbCdEfGhIjKlMnOp"
ANTHROPIC = "sk-ant-api03-Zz9Yy8Xx7Ww6Vv5Uu4Tt3"
OPENAI = "sk-proj-Qq1Ww2Ee3Rr4Tt5Yy6Uu7"
PAGERDUTY = "u+PdKeyAbCdEf12345"
FROM_ENV = "configured-signing-secret-0042"
PASSWORD = "hunter2-not-a-word"


@pytest.fixture
def written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    # The process's own secret variable: masked wherever its value turns up.
    monkeypatch.setenv("SLACK_SIGNING_SECRET", FROM_ENV)
    path = tmp_path / "system.jsonl"
    write_to_file(path)
    try:
        yield path
    finally:
        write_to_file(None)


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_a_secret_in_an_event_or_an_error_never_reaches_the_file(written: Path) -> None:
    event = {
        "incident": {"id": "P1", "title": f"leaked {SLACK} in a title"},
        "headers": {"Authorization": f"Token token={PAGERDUTY}", "X-Api-Key": "abcd-1234-efgh"},
        "slack_token": "anything at all",
        "nested": [{"password": PASSWORD}, f"key was {ANTHROPIC}", f"Bearer {OPENAI}"],
        "note": f"signed with {FROM_ENV}",
    }
    with bind(run_id="r-1", incident_id="P1", flow="f", node="n", attempt=1):
        logger.info("event", extra={"event": event})
        try:
            raise RuntimeError(f"Slack said no to {SLACK}; db password={PASSWORD}")
        except RuntimeError:
            logger.exception("failed calling Slack")
        logging.getLogger("chalicelib.webhooks.pagerduty").warning("retrying with %s", f"Bearer {OPENAI}")

    text = written.read_text(encoding="utf-8")
    for secret in (SLACK, ANTHROPIC, OPENAI, PAGERDUTY, FROM_ENV, PASSWORD, "abcd-1234-efgh", "anything at all"):
        assert secret not in text
    first, failure, library = lines(written)
    assert first["event"]["incident"] == {"id": "P1", "title": f"leaked {MASK} in a title"}
    assert first["event"]["slack_token"] == MASK and first["event"]["headers"]["X-Api-Key"] == MASK
    assert "RuntimeError" in failure["exception"] and failure["level"] == "ERROR"
    # A module logging through the standard library writes the same JSON, run fields and all.
    assert (library["message"], library["run_id"], library["node"]) == (f"retrying with Bearer {MASK}", "r-1", "n")


def test_every_line_carries_the_run_fields_of_its_own_thread(written: Path) -> None:
    logger.info("before any run")

    def node(run: str) -> None:
        with bind(run_id=run, incident_id=f"inc-{run}", flow="flow", node=f"node-{run}", attempt=2):
            for _ in range(50):
                logger.info("working", extra={"run": run})

    threads = [threading.Thread(target=node, args=(f"run-{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    first, *rest = lines(written)
    assert (first["run_id"], first["incident_id"], first["flow"], first["node"], first["attempt"]) == (
        "",
        "",
        "",
        "",
        0,
    )
    assert len(rest) == 200
    for line in rest:
        run = line["run"]
        assert (line["run_id"], line["incident_id"], line["node"], line["attempt"]) == (
            run,
            f"inc-{run}",
            f"node-{run}",
            2,
        )


def test_a_node_task_logs_its_start_and_end_with_the_payload_run(written: Path) -> None:
    @logged_task
    def run_task(function: str, payload: dict[str, Any], deps: None) -> dict[str, Any]:
        logger.info("inside")
        if payload["state"].get("fail"):
            raise ValueError(f"cannot reach {SLACK}")
        return {"status": "succeeded"}

    payload: dict[str, Any] = {
        "node": {"id": "diagnose"},
        "flow": {"name": "incident-auto-response"},
        "state": {"event": {"incident": {"id": "TEST001"}}},
        "context": {"execution_name": "run-7", "retry_count": 1},
    }
    run_task("arn:aws:lambda:us-east-1:1:function:aof-dev-agent_node", payload, None)
    with pytest.raises(ValueError):
        run_task("agent_node", {**payload, "state": {**payload["state"], "fail": True}}, None)

    got = lines(written)
    messages = ["node started", "inside", "node finished", "node started", "inside", "node failed"]
    assert [line["message"] for line in got] == messages
    for line in got:
        assert (line["run_id"], line["incident_id"], line["flow"], line["node"], line["attempt"]) == (
            "run-7",
            "TEST001",
            "incident-auto-response",
            "diagnose",
            2,
        )
    assert got[0]["function"] == "aof-dev-agent_node" and got[2]["status"] == "succeeded"
    assert got[5]["error_type"] == "ValueError" and SLACK not in json.dumps(got[5])


def test_a_policy_decision_names_the_argv_but_no_secret(written: Path) -> None:
    from chalicelib.agents.types import Action

    argv = ("kubectl", "create", "secret", "generic", "db", f"--from-literal=password={PASSWORD}")
    action = Action(kind="destructive", verb="create", tool="kubectl", argv=argv)
    log_decision("needs_approval", action, None, "creates a Secret")
    (line,) = lines(written)
    assert (line["message"], line["decision"]) == ("policy needs approval", "needs_approval")
    assert line["argv"][:5] == ["kubectl", "create", "secret", "generic", "db"]
    assert PASSWORD not in json.dumps(line)


def test_the_logs_insights_queries_in_the_docs_read_fields_the_log_writes(written: Path) -> None:
    from chalicelib.agents.types import Action
    from chalicelib.cli.system_logs import insights_query

    docs = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    queries = re.findall(r"```\n(fields [^`]+)```", docs)
    assert queries, "docs/operations.md shows no Logs Insights query"
    # What aofctl prints for a deployed run is the query the docs show.
    assert insights_query("RUN_ID") + "\n" in queries
    with bind(run_id="run-1", incident_id="P1", flow="f", node="n", attempt=1):
        logger.info("state entered")
        log_decision("refused", Action(kind="destructive", verb="delete", tool="kubectl"), None, "no")
    written_fields = {key for line in lines(written) for key in line}
    for query in queries:
        named = set(re.findall(r"\b([a-z_]+)\s*(?:=|like|in)\s", query))
        named |= {f.strip() for f in query.splitlines()[0].removeprefix("fields").split(",")}
        named = {f for f in named if f and not f.startswith("@")}
        assert named and named <= written_fields, sorted(named - written_fields)


def test_the_routes_writer_and_powertools_write_the_same_line(written: Path) -> None:
    # The API routes log through the standard library to keep Powertools off their cold start;
    # a query or `aofctl logs` cannot tell their lines from the nodes' ones.
    with bind(run_id="run-1", incident_id="P1", flow="f", node="", attempt=0):
        logger.info("run started", extra={"route": "/pagerduty/webhook", "status": 202})
        logging.getLogger("chalicelib.observability.webhooks").info(
            "run started", extra={"route": "/pagerduty/webhook", "status": 202}
        )
    powertools, routes = lines(written)
    assert list(powertools) == list(routes)
    assert {k: v for k, v in powertools.items() if k not in ("timestamp", "location")} == {
        k: v for k, v in routes.items() if k not in ("timestamp", "location")
    }
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", routes["timestamp"])
    assert len(powertools["timestamp"]) == len(routes["timestamp"])
