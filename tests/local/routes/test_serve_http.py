"""The same deliveries to a real ``aofctl serve`` process over HTTP: chalice's local gateway,
a threaded server, the embedded engine; concurrent repeats included."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.pagerduty_api import FakePagerDutyAPI
from tests.fakes.signing import sign_pagerduty
from tests.fakes.slack_api import FakeSlackAPI
from tests.local.routes.conftest import route_env, write_flows
from tests.local.routes.support import (
    APPROVER,
    BOT_TOKEN,
    PAGERDUTY_KEY,
    SECRETS,
    WEBHOOK_SECRET,
    bearer,
    click_body,
    pending_approval,
    slack_headers,
    tutorial,
    v3,
    wait_for,
)
from tests.local.serve.conftest import Server


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Server, Any, FakeSlackAPI]]:
    from chalicelib.store import open_store

    with FakeSlackAPI(tokens=(BOT_TOKEN,)) as slack, FakePagerDutyAPI(api_key=PAGERDUTY_KEY) as pagerduty:
        env = {**route_env(slack, pagerduty, tmp_path / "state"), "HOME": os.environ.get("HOME", "/tmp")}
        server = Server(tmp_path / "state", env, ("-f", str(write_flows(tmp_path / "flows"))))
        try:
            store = open_store(f"sqlite:///{tmp_path / 'state' / 'aof.db'}")
            try:
                yield server, store, slack
            finally:
                store.close()
        finally:
            server.terminate()


def test_deliveries_over_http_each_run_once_whatever_the_repeats_and_concurrency(served) -> None:
    server, store, _ = served
    signed_body = json.dumps(v3()).encode()
    signed = {"X-PagerDuty-Signature": sign_pagerduty(signed_body, WEBHOOK_SECRET), "Content-Type": "application/json"}
    distinct = [json.dumps(tutorial("TEST001", id=f"HTTP{n}")).encode() for n in range(6)]
    deliveries = [(signed_body, signed)] * 5 + [(b, bearer()) for b in distinct for _ in range(3)]

    with ThreadPoolExecutor(max_workers=12) as pool:
        answers = list(pool.map(lambda d: server.post("/pagerduty/webhook", d[0], d[1]), deliveries))
    # A repeat answers 200 "duplicate" once the first is done; one that races a first still in
    # progress is processed again (idempotently) and answers 202 like a first.
    assert all((status, a["duplicate"]) in {(202, False), (200, True)} for status, a in answers), answers
    by_body: dict[bytes, set[str]] = {}
    for (body, _), (_, answer) in zip(deliveries, answers, strict=True):
        by_body.setdefault(body, set()).add(answer["run_id"])
    assert all(len(ids) == 1 for ids in by_body.values()), "every repeat answers the first delivery's run"
    assert sum(1 for _, a in answers if not a.get("duplicate")) >= 7
    assert len(store.runs.list_runs()) == 7, "nothing lost, nothing run twice"
    for run_id in {next(iter(ids)) for ids in by_body.values()}:
        pending_approval(store, run_id)


def test_bad_deliveries_over_http_get_the_same_answers(served) -> None:
    server, store, _ = served
    body = json.dumps(v3()).encode()
    assert server.post("/pagerduty/webhook", body, {"Content-Type": "application/json"})[0] == 401
    forged = {"X-PagerDuty-Signature": sign_pagerduty(body, "wrong"), "Content-Type": "application/json"}
    assert server.post("/pagerduty/webhook", body, forged)[0] == 401
    assert server.post("/pagerduty/webhook", b"{not json", bearer())[0] == 400
    oversized = b'{"event": {"incident": {"id": "BIG", "title": "' + b"a" * 1_100_000 + b'"}}}'
    assert server.post("/pagerduty/webhook", oversized, bearer())[0] == 413
    assert store.runs.list_runs() == []


def test_hostile_titles_a_click_and_a_human_ack_over_http(served) -> None:
    server, store, slack = served
    marker = Path(f"/tmp/aof-serve-{uuid.uuid4().hex}")
    title = f"$(touch {marker}) `touch {marker}` " + "🔥" * 2600
    status, answer = server.post("/pagerduty/webhook", json.dumps(tutorial("TEST002", title=title)).encode(), bearer())
    assert status == 202
    approval = pending_approval(store, answer["run_id"])
    assert title in slack.messages[(approval.channel, approval.message_ts)].text
    assert not marker.exists()

    body = click_body(approval.approval_id, approval.channel, approval.message_ts, APPROVER)
    stale = slack_headers(body, "application/x-www-form-urlencoded", age=600)
    assert server.post("/slack/interactivity", body, stale)[0] == 401
    status, clicked = server.post(
        "/slack/interactivity", body, slack_headers(body, "application/x-www-form-urlencoded")
    )
    assert status == 200 and clicked["applied"] is True
    assert (
        server.post("/slack/interactivity", body, slack_headers(body, "application/x-www-form-urlencoded"))[1][
            "applied"
        ]
        is False
    )
    wait_for("the decided message", lambda: slack.calls_to("chat.update"))

    status, other = server.post("/pagerduty/webhook", json.dumps(tutorial("TEST001")).encode(), bearer())
    other_approval = pending_approval(store, other["run_id"])
    ack = json.dumps(v3("acknowledged", event_id="ack-http", incident_id="TEST001")).encode()
    signed = {"X-PagerDuty-Signature": sign_pagerduty(ack, WEBHOOK_SECRET), "Content-Type": "application/json"}
    status, stopped = server.post("/pagerduty/webhook", ack, signed)
    assert status == 202 and stopped["stopped_runs"] == [other["run_id"]]
    assert store.approvals.get_approval(other_approval.approval_id).status == "cancelled"
    log = "\n".join(server.lines)
    assert all(secret not in log for secret in SECRETS), "the request log shows no secret"
