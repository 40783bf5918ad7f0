"""PagerDuty deliveries through ``handle_pagerduty_webhook`` with in-memory ports."""

from __future__ import annotations

import json
import os
import re
import uuid
from typing import Any

import pytest

from chalicelib.integrations.pagerduty import PagerDutyClient
from chalicelib.webhooks.enrichment import PagerDutyEnricher
from chalicelib.webhooks.http import WebhookRequest
from chalicelib.webhooks.pagerduty import PagerDutyWebhookDeps, handle_pagerduty_webhook
from chalicelib.webhooks.pagerduty_auth import PagerDutyAuthConfig
from tests.fakes.pagerduty_api import API_KEY, FakePagerDutyAPI
from tests.fakes.signing import sign_pagerduty
from tests.unit.webhooks.events import load_event, raw_event
from tests.unit.webhooks.memory_ports import MemoryDeliveryLog, MemoryRuns

TOKEN = "tutorial-bearer-token"
SECRET = "pd-signing-secret-current"
OLD_SECRET = "pd-signing-secret-previous"
TRIGGERED = "pagerduty-v3-incident-triggered.json"
ACKNOWLEDGED = "pagerduty-v3-incident-acknowledged.json"
RESOLVED = "pagerduty-v3-incident-resolved.json"
NAME_RULE = re.compile(r"^[A-Za-z0-9_-]{1,80}$")


class World:
    def __init__(self, auth: PagerDutyAuthConfig, enricher: Any = None) -> None:
        self.deliveries = MemoryDeliveryLog()
        self.runs = MemoryRuns()
        self.deps = PagerDutyWebhookDeps(
            auth=auth, deliveries=self.deliveries, runs=self.runs, controller=self.runs, enricher=enricher
        )

    def post(self, body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
        response = handle_pagerduty_webhook(WebhookRequest(headers=headers, body=body), self.deps)
        json.dumps(response.body)  # every answer must be serialisable as the route's JSON
        return response.status, response.body

    def bearer(self, body: bytes, token: str = TOKEN) -> tuple[int, dict[str, Any]]:
        return self.post(body, {"Authorization": f"Bearer {token}", "Content-Type": "application/json"})

    def signed(self, body: bytes, secret: str = SECRET) -> tuple[int, dict[str, Any]]:
        return self.post(body, {"X-PagerDuty-Signature": sign_pagerduty(body, secret)})


@pytest.fixture
def world() -> World:
    return World(PagerDutyAuthConfig.from_values(TOKEN, f"{SECRET},{OLD_SECRET}"))


def v3_body(title: str = "High memory usage on api-deployment", **data: Any) -> bytes:
    event = load_event(TRIGGERED)
    event["event"]["id"] = "01EVT" + uuid.uuid4().hex[:20].upper()
    event["event"]["data"]["title"] = title
    event["event"]["data"].update(data)
    return json.dumps(event).encode()


# --- the two shapes ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sample", "namespace", "resource"),
    [
        ("tutorial-test001.json", "production", "deployment/api"),
        ("tutorial-test002.json", "production", "statefulset/postgres"),
    ],
)
def test_tutorial_incident_with_bearer_starts_a_run_the_flow_can_read(
    world: World, sample: str, namespace: str, resource: str
) -> None:
    status, body = world.bearer(raw_event(sample))

    assert status == 202
    assert body["duplicate"] is False
    assert NAME_RULE.match(body["execution_name"])
    event = world.runs.events[body["run_id"]]
    incident = load_event(sample)["event"]["incident"]
    assert event["incident"]["id"] == incident["id"]
    assert event["incident"]["title"] == incident["title"]
    assert event["incident"]["service"]["name"] == incident["service"]["name"]
    assert event["incident"]["custom_details"] == {"namespace": namespace, "resource": resource}
    assert event["event_type"] == "incident.triggered"


def test_v3_incident_signed_starts_a_run_in_the_tutorial_shape(world: World) -> None:
    status, body = world.signed(raw_event(TRIGGERED))

    assert status == 202
    event = world.runs.events[body["run_id"]]
    assert event["event_id"] == "01DEN1HN1OM6ZLXAPP5BMZ6GX4"
    assert event["incident"]["id"] == "Q1ABCDEF234567"
    assert event["incident"]["service"] == {"name": "API Service", "id": "PSVC001"}
    assert event["incident"]["urgency"] == "high"
    assert event["incident"]["escalation_policy_id"] == "PEP0001"
    assert event["incident"]["custom_details"] == {}
    assert event["agent"]["id"] == "PSVC001"
    assert body["execution_name"].startswith("pd-Q1ABCDEF234567-01DEN1HN1OM6ZLXAPP5BMZ6GX4-")


def test_lower_case_header_names_are_accepted(world: World) -> None:
    status, _ = world.post(raw_event("tutorial-test001.json"), {"authorization": f"bearer {TOKEN}"})
    assert status == 202


# --- authentication -----------------------------------------------------------------------


def test_rotation_header_with_several_signatures_passes_when_any_matches(world: World) -> None:
    body = raw_event(TRIGGERED)
    header = ", ".join(["v1=" + "0" * 64, sign_pagerduty(body, OLD_SECRET), sign_pagerduty(body, "unknown")])

    status, _ = world.post(body, {"X-PagerDuty-Signature": header})

    assert status == 202


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-PagerDuty-Signature": "v1=" + "a" * 64},
        {"X-PagerDuty-Signature": "v0=whatever"},
        {"Authorization": "Bearer wrong-token"},
        {"Authorization": f"Basic {TOKEN}"},
        {"Authorization": f"Bearer {TOKEN}x"},
    ],
    ids=["none", "bad-signature", "wrong-version", "wrong-token", "wrong-scheme", "token-prefix"],
)
def test_bad_or_missing_credentials_are_refused_and_nothing_is_recorded(world: World, headers: dict[str, str]) -> None:
    status, body = world.post(raw_event(TRIGGERED), headers)

    assert status == 401
    assert TOKEN not in json.dumps(body) and SECRET not in json.dumps(body)
    assert world.deliveries.records == {}
    assert world.runs.start_calls == 0


def test_tampered_body_fails_the_signature(world: World) -> None:
    body = raw_event(TRIGGERED)
    signature = sign_pagerduty(body, SECRET)
    tampered = body.replace(b"High memory", b"Low memory")

    status, _ = world.post(tampered, {"X-PagerDuty-Signature": signature})

    assert status == 401


def test_nothing_configured_refuses_and_says_how_to_configure() -> None:
    world = World(PagerDutyAuthConfig.from_env({"PAGERDUTY_WEBHOOK_TOKEN": "", "OTHER": "x"}))

    status, body = world.post(raw_event("tutorial-test001.json"), {"Authorization": "Bearer anything"})

    assert status == 401
    assert "PAGERDUTY_WEBHOOK_SECRET" in body["message"] and "PAGERDUTY_WEBHOOK_TOKEN" in body["message"]


def test_only_the_configured_method_counts() -> None:
    token_only = World(PagerDutyAuthConfig.from_env({"PAGERDUTY_WEBHOOK_TOKEN": TOKEN}))
    secret_only = World(PagerDutyAuthConfig.from_values(None, SECRET))
    body = raw_event(TRIGGERED)

    assert token_only.signed(body)[0] == 401
    assert token_only.bearer(body)[0] == 202
    assert secret_only.bearer(body)[0] == 401
    assert secret_only.signed(body)[0] == 202


# --- at-least-once delivery ------------------------------------------------------------------


@pytest.mark.parametrize("send", ["bearer-tutorial", "signed-v3"])
def test_repeated_delivery_answers_the_original_run_and_starts_nothing(world: World, send: str) -> None:
    post = (
        (lambda: world.bearer(raw_event("tutorial-test001.json")))
        if send == "bearer-tutorial"
        else (lambda: world.signed(raw_event(TRIGGERED)))
    )
    first_status, first = post()
    second_status, second = post()
    third_status, third = post()

    assert first_status == 202
    assert (second_status, third_status) == (200, 200)
    assert second["duplicate"] is True and third["duplicate"] is True
    assert second["run_id"] == third["run_id"] == first["run_id"]
    assert second["execution_name"] == first["execution_name"]
    assert len(world.runs.by_name) == 1 and world.runs.start_calls == 1


def test_tutorial_bodies_that_differ_are_different_deliveries(world: World) -> None:
    first = world.bearer(raw_event("tutorial-test001.json"))[1]
    second = world.bearer(raw_event("tutorial-test002.json"))[1]

    assert first["run_id"] != second["run_id"]
    assert len(world.deliveries.records) == 2


def test_a_failed_start_is_recorded_and_the_retry_starts_exactly_one_run(world: World) -> None:
    world.runs.fail_next_starts = 1
    body = raw_event(TRIGGERED)

    status, answer = world.signed(body)
    assert status == 503
    assert world.deliveries.records["01DEN1HN1OM6ZLXAPP5BMZ6GX4"]["status"] == "failed"

    status, answer = world.signed(body)
    assert status == 202 and answer["run_id"] == "run-1"
    status, answer = world.signed(body)
    assert (status, answer["duplicate"], answer["run_id"]) == (200, True, "run-1")
    assert len(world.runs.by_name) == 1


@pytest.mark.parametrize("sample", [ACKNOWLEDGED, RESOLVED])
def test_human_acknowledge_or_resolve_stops_the_incidents_runs_once(world: World, sample: str) -> None:
    run_id = world.signed(raw_event(TRIGGERED))[1]["run_id"]

    status, body = world.signed(raw_event(sample))
    assert status == 202
    assert body["stopped_runs"] == [run_id]

    again_status, again = world.signed(raw_event(sample))
    assert again_status == 200
    assert again["duplicate"] is True and again["stopped_runs"] == [run_id]
    assert world.runs.update_calls == 1
    assert world.runs.start_calls == 1


def test_other_event_types_are_recorded_and_ignored(world: World) -> None:
    event = {
        "event": {
            "id": "01ANNOTATED000000000000001",
            "event_type": "incident.annotated",
            "resource_type": "incident",
            "occurred_at": "2026-11-20T09:20:00Z",
            "data": {
                "incident": {"id": "Q1ABCDEF234567", "type": "incident_reference"},
                "content": "note",
                "type": "incident_note",
            },
        }
    }
    status, body = world.signed(json.dumps(event).encode())

    assert status == 202 and body["ignored"] is True
    assert world.deliveries.records["01ANNOTATED000000000000001"]["outcome"] == "ignored"
    assert world.runs.start_calls == 0 and world.runs.update_calls == 0


# --- bad bodies ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b'{"event": {"incident": ', "not valid JSON"),
        (b"", "not valid JSON"),
        (b"\xff\xfe\x00garbage", "not valid JSON"),
        (b"[1, 2, 3]", "'event' object"),
        (b'{"incident": {"id": "X"}}', "'event' object"),
        (b'{"event": {"incident": {"title": "no id"}}}', "event.incident.id"),
        (b'{"event": {"incident": {"id": "", "title": "empty id"}}}', "event.incident.id"),
        (b'{"event": {"incident": {"id": "TEST9"}}}', "event.incident.title"),
        (b'{"event": {"incident": {"id": "T", "title": "t", "custom_details": "not-a-dict"}}}', "custom_details"),
    ],
)
def test_malformed_or_incomplete_bodies_get_400_naming_the_problem(world: World, body: bytes, reason: str) -> None:
    status, answer = world.bearer(body)

    assert status == 400
    assert reason in answer["message"]
    assert world.runs.start_calls == 0


def test_v3_event_without_incident_title_names_the_field_path(world: World) -> None:
    event = load_event(TRIGGERED)
    del event["event"]["data"]["title"]

    status, answer = world.signed(json.dumps(event).encode())

    assert status == 400
    assert "event.data.title" in answer["message"]


def test_v3_event_without_id_is_refused(world: World) -> None:
    event = load_event(TRIGGERED)
    del event["event"]["id"]

    status, answer = world.signed(json.dumps(event).encode())

    assert status == 400 and "event.id" in answer["message"]


def test_body_over_one_megabyte_is_refused_before_parsing(world: World) -> None:
    event = load_event("tutorial-test001.json")
    event["event"]["incident"]["custom_details"]["blob"] = "x" * (1024 * 1024)
    body = json.dumps(event).encode()

    status, answer = world.bearer(body)

    assert status == 413 and "limit" in answer["message"]
    assert world.deliveries.records == {}


def test_body_of_exactly_the_limit_is_parsed(world: World) -> None:
    event = load_event("tutorial-test001.json")
    base = len(json.dumps(event).encode()) + len(', "blob": ""')
    event["event"]["incident"]["custom_details"]["blob"] = "x" * (1024 * 1024 - base)
    body = json.dumps(event).encode()
    assert len(body) == 1024 * 1024

    assert world.bearer(body)[0] == 202


# --- hostile strings are only text -----------------------------------------------------------


def test_shell_in_a_title_is_only_text(world: World) -> None:
    marker = f"/tmp/aof-pwned-{uuid.uuid4().hex}"
    x_existed = os.path.exists("/tmp/x")
    titles = [
        "$(touch /tmp/x)",
        f"`touch {marker}`; $(touch {marker}) && touch {marker} | sh -c 'touch {marker}'",
        "${event.incident.id} ${PAGERDUTY_API_KEY} $((1+1))",
    ]
    for title in titles:
        status, body = world.signed(v3_body(title))
        assert status == 202
        assert world.runs.events[body["run_id"]]["incident"]["title"] == title

    assert not os.path.exists(marker)
    if not x_existed:
        assert not os.path.exists("/tmp/x")


def test_ten_kilobytes_of_emoji_and_control_characters_survive_intact(world: World) -> None:
    emoji_title = "🔥🚨💥" * 1000  # ~12 KB of UTF-8
    control_title = "line1\nline2\r\x00\x07\x1b[31mred\x1b[0m\u202etxt.exe\ufeff"
    for title in (emoji_title, control_title):
        status, body = world.signed(v3_body(title))
        assert status == 202
        assert world.runs.events[body["run_id"]]["incident"]["title"] == title


def test_lone_surrogates_become_replacement_characters_the_store_can_keep(world: World) -> None:
    body = v3_body("placeholder").replace(b'"placeholder"', b'"\\ud800 broken \\udfff"')

    status, answer = world.signed(body)

    assert status == 202
    title = world.runs.events[answer["run_id"]]["incident"]["title"]
    assert title == "\ufffd broken \ufffd"
    title.encode("utf-8")  # what SQLite, DynamoDB and Slack will do with it


@pytest.mark.parametrize("depth", [100_000, 1_000, 70])
def test_huge_nesting_is_a_400_not_a_crash(world: World, depth: int) -> None:
    nested = "[" * depth + "]" * depth
    body = ('{"event": {"incident": {"id": "T", "title": "t", "custom_details": {"deep": ' + nested + "}}}}").encode()

    status, answer = world.bearer(body)

    assert status == 400
    assert "nested" in answer["message"]


def test_moderate_nesting_in_custom_details_is_kept(world: World) -> None:
    nested: Any = "leaf"
    for _ in range(20):
        nested = {"n": nested}
    event = load_event("tutorial-test001.json")
    event["event"]["incident"]["custom_details"]["deep"] = nested

    status, body = world.bearer(json.dumps(event).encode())

    assert status == 202
    assert world.runs.events[body["run_id"]]["incident"]["custom_details"]["deep"] == nested


def test_unsafe_ids_still_make_valid_distinct_execution_names(world: World) -> None:
    names = set()
    for incident_id in ["a/b c" * 40, "a_b-c" * 40, "💥" * 30]:
        event = load_event(TRIGGERED)
        event["event"]["data"]["id"] = incident_id
        event["event"]["id"] = "evt:" + incident_id[:100]
        status, body = world.signed(json.dumps(event).encode())
        assert status == 202
        assert NAME_RULE.match(body["execution_name"]), body["execution_name"]
        names.add(body["execution_name"])
    assert len(names) == 3


# --- enrichment through the PagerDuty REST API (fake server) --------------------------------


def enriched_world(fake: FakePagerDutyAPI) -> World:
    client = PagerDutyClient(
        API_KEY, base_url=fake.url, from_email="aof@acme.test", sleep=lambda _: None, max_retries=1
    )
    return World(PagerDutyAuthConfig.from_values(TOKEN, SECRET), enricher=PagerDutyEnricher(client))


def test_v3_incident_is_enriched_so_namespace_and_resource_resolve(fake_pagerduty: FakePagerDutyAPI) -> None:
    fake_pagerduty.add_incident(
        "Q1ABCDEF234567",
        alert_details=[{"resource": "deployment/api", "namespace": "staging", "pod": "api-7d9"}],
        custom_fields={"namespace": "production"},
    )
    world = enriched_world(fake_pagerduty)

    status, body = world.signed(raw_event(TRIGGERED))

    assert status == 202
    details = world.runs.events[body["run_id"]]["incident"]["custom_details"]
    assert details == {"namespace": "production", "resource": "deployment/api", "pod": "api-7d9"}
    assert "enrichment_errors" not in world.deliveries.records["01DEN1HN1OM6ZLXAPP5BMZ6GX4"]


def test_rest_failure_during_enrichment_still_starts_the_run_and_is_recorded(fake_pagerduty: FakePagerDutyAPI) -> None:
    fake_pagerduty.add_incident("Q1ABCDEF234567", alert_details=[{"namespace": "production"}])
    fake_pagerduty.fail_next(10, status=500)
    world = enriched_world(fake_pagerduty)

    status, body = world.signed(raw_event(TRIGGERED))

    assert status == 202
    assert world.runs.events[body["run_id"]]["incident"]["custom_details"] == {}
    errors = world.deliveries.records["01DEN1HN1OM6ZLXAPP5BMZ6GX4"]["enrichment_errors"]
    assert len(errors) == 2 and "alerts" in errors[0] and "custom fields" in errors[1]


def test_tutorial_details_win_over_enrichment(fake_pagerduty: FakePagerDutyAPI) -> None:
    fake_pagerduty.add_incident("TEST001", custom_fields={"namespace": "other", "team": "sre"})
    world = enriched_world(fake_pagerduty)

    status, body = world.bearer(raw_event("tutorial-test001.json"))

    assert status == 202
    details = world.runs.events[body["run_id"]]["incident"]["custom_details"]
    assert details == {"namespace": "production", "resource": "deployment/api", "team": "sre"}
