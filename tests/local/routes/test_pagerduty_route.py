"""``POST /pagerduty/webhook`` through ``chalice.test.Client``: both shapes, authentication,
repeats, humans taking over, bad input; every accepted incident runs exactly once."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

from tests.fakes.signing import sign_pagerduty
from tests.local.routes.conftest import Routes
from tests.local.routes.support import (
    SECRETS,
    WEBHOOK_SECRET,
    bearer,
    recorded_text,
    tutorial,
    v3,
    wait_for,
)


def signed(body: bytes, secret: str = WEBHOOK_SECRET) -> dict[str, str]:
    return {"X-PagerDuty-Signature": sign_pagerduty(body, secret), "Content-Type": "application/json"}


def test_both_tutorial_incidents_start_one_run_each_with_the_tutorial_variables(routes: Routes) -> None:
    run_ids = []
    for incident in ("TEST001", "TEST002"):
        answer = routes.post(json.dumps(tutorial(incident)), bearer())
        assert answer.status_code == 202, answer.body
        run_ids.append(json.loads(answer.body)["run_id"])
    assert len(set(run_ids)) == 2
    approvals = [routes.approval(run_id) for run_id in run_ids]
    texts = [routes.slack.messages[(a.channel, a.message_ts)].text for a in approvals]
    assert "High memory usage on api-deployment" in texts[0] and "production" in texts[0]
    assert "Database cluster down - all replicas failing" in texts[1]
    assert len(routes.runs()) == 2 and len(routes.executions()) == 2


def test_a_signed_v3_event_is_accepted_and_enriched_from_the_rest_api(routes: Routes) -> None:
    routes.pagerduty.add_incident(
        "Q1ABCDEF234567", alert_details=[{"namespace": "production", "resource": "deployment/api"}]
    )
    body = json.dumps(v3()).encode()
    answer = routes.post(body, signed(body))
    assert answer.status_code == 202, answer.body
    run_id = json.loads(answer.body)["run_id"]
    incident = routes.flow_input(run_id)["incident"]
    assert incident["custom_details"] == {"namespace": "production", "resource": "deployment/api"}
    assert incident["title"] == "High memory usage on api-deployment"
    alerts = routes.pagerduty.calls_to("GET", "/incidents/Q1ABCDEF234567/alerts")
    assert alerts and alerts[0].headers["Authorization"] == f"Token token={routes.env['PAGERDUTY_API_KEY']}"


def test_enrichment_rides_out_a_429_and_a_missing_incident_loses_nothing(routes: Routes) -> None:
    routes.pagerduty.add_incident("Q1ABCDEF234567", alert_details=[{"namespace": "payments"}])
    routes.pagerduty.fail_next(1, status=429, retry_after=0)
    body = json.dumps(v3()).encode()
    answer = routes.post(body, signed(body))
    assert answer.status_code == 202
    assert routes.flow_input(json.loads(answer.body)["run_id"])["incident"]["custom_details"]["namespace"] == "payments"

    # PagerDuty does not know this incident: the run starts with what the delivery carried.
    other = json.dumps(v3(event_id="01OTHER", incident_id="QUNKNOWN")).encode()
    answer = routes.post(other, signed(other))
    assert answer.status_code == 202, answer.body
    run_id = json.loads(answer.body)["run_id"]
    assert routes.flow_input(run_id)["incident"]["custom_details"] == {}
    delivery = routes.local.store.deliveries.get_delivery("01OTHER")
    assert delivery["enrichment_errors"] and delivery["status"] == "done"


def test_the_tutorial_shape_is_not_looked_up_in_pagerduty(routes: Routes) -> None:
    answer = routes.post(json.dumps(tutorial("TEST001")), bearer())
    assert answer.status_code == 202
    routes.approval(json.loads(answer.body)["run_id"])
    assert routes.pagerduty.calls == [], "the tutorial's body carries its custom_details; TEST001 is not in PagerDuty"


def test_unsigned_forged_or_wrongly_authenticated_deliveries_are_refused_and_start_nothing(routes: Routes) -> None:
    body = json.dumps(v3()).encode()
    assert routes.post(body, {"Content-Type": "application/json"}).status_code == 401
    assert routes.post(body, signed(body, "another-secret")).status_code == 401
    forged = body.replace(b"High memory", b"Low memory")
    assert routes.post(forged, signed(body)).status_code == 401
    tutorial_body = json.dumps(tutorial("TEST001"))
    assert routes.post(tutorial_body, {"Content-Type": "application/json"}).status_code == 401
    assert routes.post(tutorial_body, bearer("wrong-token")).status_code == 401
    assert routes.runs() == [] and routes.executions() == []


def test_repeated_deliveries_of_either_shape_answer_the_same_run_and_run_once(routes: Routes) -> None:
    body = json.dumps(v3()).encode()
    first = json.loads(routes.post(body, signed(body)).body)
    tutorial_body = json.dumps(tutorial("TEST001"))
    first_tutorial = json.loads(routes.post(tutorial_body, bearer()).body)
    for _ in range(3):
        again = routes.post(body, signed(body))
        assert again.status_code == 200
        assert json.loads(again.body) | {"duplicate": True} == json.loads(again.body)
        assert json.loads(again.body)["run_id"] == first["run_id"]
        repeat = routes.post(tutorial_body, bearer())
        assert json.loads(repeat.body)["run_id"] == first_tutorial["run_id"]
        assert json.loads(repeat.body)["duplicate"] is True
    assert sorted(r.run_id for r in routes.runs()) == sorted([first["run_id"], first_tutorial["run_id"]])
    assert len(routes.executions()) == 2
    for run_id in (first["run_id"], first_tutorial["run_id"]):
        routes.approval(run_id)
    assert len(routes.slack.calls_to("chat.postMessage")) == 2, "one approval request per incident, not per delivery"


def test_acknowledged_or_resolved_by_a_human_stops_the_run_once(routes: Routes) -> None:
    for kind, incident in (("acknowledged", "QACK"), ("resolved", "QRES")):
        trigger = json.dumps(v3(event_id=f"trigger-{incident}", incident_id=incident)).encode()
        run_id = json.loads(routes.post(trigger, signed(trigger)).body)["run_id"]
        approval = routes.approval(run_id)
        update = json.dumps(v3(kind, event_id=f"{kind}-{incident}", incident_id=incident)).encode()
        answer = routes.post(update, signed(update))
        assert answer.status_code == 202, answer.body
        assert json.loads(answer.body)["stopped_runs"] == [run_id]
        repeat = routes.post(update, signed(update))
        assert json.loads(repeat.body)["duplicate"] is True and json.loads(repeat.body)["stopped_runs"] == [run_id]
        assert routes.local.store.approvals.get_approval(approval.approval_id).status == "cancelled"
        run = routes.local.store.runs.get_run(run_id)
        assert (run.status, run.outcome) == ("cancelled", "escalated")
        described = wait_for("the stopped execution", lambda: _stopped(routes, run.execution_arn))
        assert described.status == "ABORTED"
    # An acknowledgement for an incident with no run stops nothing and is still answered.
    stray = json.dumps(v3("acknowledged", event_id="ack-none", incident_id="QNONE")).encode()
    answer = routes.post(stray, signed(stray))
    assert answer.status_code == 202 and json.loads(answer.body)["stopped_runs"] == []


def _stopped(routes: Routes, execution_arn: str) -> Any:
    described = routes.local.runtime.describe(execution_arn)
    return described if described.status != "RUNNING" else None


def test_malformed_and_oversized_bodies_are_answered_clearly_and_start_nothing(routes: Routes) -> None:
    malformed = routes.post(b"{not json", bearer())
    assert malformed.status_code == 400 and "json" in malformed.body.decode().lower()
    assert routes.post(json.dumps({"event": {"incident": {"title": "no id"}}}), bearer()).status_code == 400
    assert routes.post(json.dumps([1, 2, 3]), bearer()).status_code == 400
    assert routes.post(b"\xff\xfe\x00garbage", bearer()).status_code == 400
    oversized = b'{"event": {"incident": {"id": "BIG", "title": "' + b"a" * 1_100_000 + b'"}}}'
    answer = routes.post(oversized, bearer())
    assert answer.status_code == 413
    assert b"a" * 100 not in answer.body, "the answer does not echo the body"
    assert routes.runs() == [] and routes.executions() == []


def test_hostile_titles_are_accepted_and_stay_text(routes: Routes) -> None:
    marker = Path(f"/tmp/aof-routes-{uuid.uuid4().hex}")
    shell = f'$(touch {marker}) `touch {marker}`; touch {marker} && echo "quoted" \\ done'
    emoji = "🔥" * 2600  # 10.4 KB of UTF-8
    run_ids = []
    for index, title in enumerate((shell, emoji, shell + emoji)):
        answer = routes.post(json.dumps(tutorial("TEST001", id=f"HOSTILE{index}", title=title)), bearer())
        assert answer.status_code == 202, answer.body
        run_ids.append(json.loads(answer.body)["run_id"])
    for run_id, title in zip(run_ids, (shell, emoji, shell + emoji), strict=True):
        approval = routes.approval(run_id)
        posted = routes.slack.messages[(approval.channel, approval.message_ts)]
        # Slack shows its three escapes (&amp; &lt; &gt;) as the characters they stand for.
        shown = posted.text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
        assert title in shown, "the whole title reaches Slack, as text"
        assert routes.local.store.runs.get_run(run_id).title == title[:500]
    assert not marker.exists(), "nothing in a title was executed"


def test_no_secret_is_recorded_or_answered(routes: Routes) -> None:
    body = json.dumps(v3()).encode()
    answers = [routes.post(body, signed(body)).body, routes.post(json.dumps(tutorial("TEST001")), bearer()).body]
    answers.append(routes.post(json.dumps(tutorial("TEST002")), bearer("wrong")).body)
    run_ids = [r.run_id for r in routes.runs()]
    for run_id in run_ids:
        routes.approval(run_id)
    recorded = "\n".join(recorded_text(routes.local.store, routes.local.runtime, r) for r in run_ids)
    deliveries = json.dumps(
        [routes.local.store.deliveries.get_delivery(i) for i in ("01DEN1HN1OM6ZLXAPP5BMZ6GX4",)], default=str
    )
    slack_seen = json.dumps([c.params for c in routes.slack.calls])
    for secret in SECRETS:
        for where, text in (("history", recorded), ("deliveries", deliveries), ("slack", slack_seen)):
            assert secret not in text, f"a secret leaked into {where}"
        assert all(secret.encode() not in answer for answer in answers)


def test_every_route_refuses_a_body_declared_over_its_limit_before_anything_else(routes: Routes) -> None:
    # Unsigned, unauthenticated and not JSON: the declared length alone decides.
    declared = {"Content-Type": "application/json", "Content-Length": str(300 * 1024 * 1024)}
    answer = routes.post(b"{not json", declared)
    assert answer.status_code == 413 and json.loads(answer.body)["error"] == "PayloadTooLarge"
    form = {**declared, "Content-Type": "application/x-www-form-urlencoded"}
    assert routes.slack_post("/slack/interactivity", b"payload=x", form).status_code == 413
    assert routes.slack_post("/slack/events", b"{}", declared).status_code == 413
    assert routes.runs() == [] and routes.executions() == []
