"""The hand-written PagerDuty body checks: every problem, with its dotted path, in one answer."""

from __future__ import annotations

import json
from typing import Any

import pytest

from chalicelib.errors import BadRequest
from chalicelib.webhooks.incident import Agent, Incident, IncidentEvent, OtherEvent, ServiceRef
from chalicelib.webhooks.pagerduty_body import parse_body
from tests.unit.webhooks.events import load_event

TRIGGERED = "pagerduty-v3-incident-triggered.json"
TUTORIAL = "tutorial-test001.json"


def problems_of(document: Any) -> list[str]:
    with pytest.raises(BadRequest) as caught:
        parse_body(json.dumps(document).encode())
    problems: list[str] = caught.value.details["problems"]
    assert caught.value.message == "invalid PagerDuty event: " + "; ".join(problems)
    return problems


def test_v3_body_reports_a_missing_id_and_a_non_string_title_together() -> None:
    event = load_event(TRIGGERED)
    del event["event"]["id"]
    event["event"]["data"]["title"] = 42

    assert problems_of(event) == ["event.id: Field required", "event.data.title: Input should be a valid string"]


def test_v3_body_problems_come_in_field_order_with_nested_paths() -> None:
    event = load_event(TRIGGERED)
    event["event"]["event_type"] = "x" * 129
    event["event"]["agent"] = {"id": 7}
    event["event"]["data"]["service"] = "PSVC001"
    event["event"]["data"]["escalation_policy"]["id"] = ["PEP0001"]

    assert problems_of(event) == [
        "event.event_type: String should have at most 128 characters",
        "event.agent.id: Input should be a valid string",
        "event.data.service: Input should be a valid dictionary",
        "event.data.escalation_policy.id: Input should be a valid string",
    ]


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("", "String should have at least 1 character"),
        ("x" * 257, "String should have at most 256 characters"),
        (None, "Input should be a valid string"),
    ],
)
def test_v3_event_id_must_be_1_to_256_characters(value: Any, problem: str) -> None:
    event = load_event(TRIGGERED)
    event["event"]["id"] = value

    assert problems_of(event) == [f"event.id: {problem}"]


def test_v3_event_id_of_exactly_256_characters_is_accepted() -> None:
    event = load_event(TRIGGERED)
    event["event"]["id"] = "x" * 256

    parsed = parse_body(json.dumps(event).encode())

    assert isinstance(parsed, IncidentEvent) and parsed.event_id == "x" * 256


def test_v3_data_must_be_an_object() -> None:
    event = load_event(TRIGGERED)
    event["event"]["data"] = ["not", "an", "object"]

    assert problems_of(event) == ["event.data: Input should be a valid dictionary"]


def test_tutorial_body_with_an_empty_incident_id_is_refused() -> None:
    event = load_event(TUTORIAL)
    event["event"]["incident"]["id"] = ""

    assert problems_of(event) == ["event.incident.id: String should have at least 1 character"]


@pytest.mark.parametrize("custom_details", ["namespace=production", ["production"], None, 3])
def test_tutorial_custom_details_must_be_an_object(custom_details: Any) -> None:
    event = load_event(TUTORIAL)
    event["event"]["incident"]["custom_details"] = custom_details

    assert problems_of(event) == ["event.incident.custom_details: Input should be a valid dictionary"]


def test_tutorial_body_reports_every_problem() -> None:
    body = {"event": {"incident": {"title": None, "service": {"name": 1}, "urgency": 2, "custom_details": "x"}}}

    assert problems_of(body) == [
        "event.incident.id: Field required",
        "event.incident.title: Input should be a valid string",
        "event.incident.service.name: Input should be a valid string",
        "event.incident.urgency: Input should be a valid string",
        "event.incident.custom_details: Input should be a valid dictionary",
    ]


def test_tutorial_incident_must_be_an_object() -> None:
    assert problems_of({"event": {"incident": "TEST001"}}) == ["event.incident: Input should be a valid dictionary"]


def test_unknown_fields_are_ignored_in_both_shapes() -> None:
    v3 = load_event(TRIGGERED)
    v3["schema_version"] = 9
    v3["event"]["brand_new"] = {"nested": [1, 2]}
    v3["event"]["agent"]["avatar"] = 5
    v3["event"]["data"]["priority"] = {"id": "P1", "summary": "P1"}
    tutorial = load_event(TUTORIAL)
    tutorial["event"]["routing_key"] = 1
    tutorial["event"]["incident"]["severity"] = 2
    tutorial["event"]["incident"]["service"]["team"] = ["sre"]

    from_v3 = parse_body(json.dumps(v3).encode())
    from_tutorial = parse_body(json.dumps(tutorial).encode())

    assert from_v3 == IncidentEvent(
        event_id="01DEN1HN1OM6ZLXAPP5BMZ6GX4",
        event_type="incident.triggered",
        incident=Incident(
            id="Q1ABCDEF234567",
            title=v3["event"]["data"]["title"],
            service=ServiceRef(name="API Service", id="PSVC001"),
            urgency="high",
            html_url=v3["event"]["data"]["html_url"],
            status=v3["event"]["data"]["status"],
            escalation_policy_id="PEP0001",
        ),
        agent=Agent(
            id=v3["event"]["agent"]["id"],
            summary=v3["event"]["agent"]["summary"],
            type=v3["event"]["agent"]["type"],
        ),
        occurred_at=v3["event"]["occurred_at"],
        source_shape="v3",
    )
    assert isinstance(from_tutorial, IncidentEvent)
    assert from_tutorial.source_shape == "tutorial"
    assert from_tutorial.incident == Incident(
        id="TEST001",
        title="High memory usage on api-deployment",
        service=ServiceRef(name="API Service"),
        urgency="high",
        html_url="https://yourcompany.pagerduty.com/incidents/TEST001",
        status="triggered",
        custom_details={"namespace": "production", "resource": "deployment/api"},
    )


def test_null_optional_fields_read_as_none() -> None:
    event = load_event(TRIGGERED)
    event["event"]["agent"] = None
    event["event"]["occurred_at"] = None
    event["event"]["data"]["service"] = None
    event["event"]["data"]["urgency"] = None

    parsed = parse_body(json.dumps(event).encode())

    assert isinstance(parsed, IncidentEvent)
    assert parsed.agent is None and parsed.occurred_at is None and parsed.incident.urgency is None
    assert parsed.incident.service == ServiceRef()


def test_non_incident_event_is_another_event_and_its_data_is_not_checked() -> None:
    body = {"event": {"id": "E1", "event_type": "service.updated", "data": {"type": "service", "title": 5}}}

    assert parse_body(json.dumps(body).encode()) == OtherEvent(event_id="E1", event_type="service.updated")
