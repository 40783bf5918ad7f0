"""The PagerDuty REST client against a fake PagerDuty API speaking the real protocol."""

from __future__ import annotations

import pytest

from chalicelib.errors import ConfigurationError, ServiceError, ServiceUnavailable
from chalicelib.integrations.pagerduty import PagerDutyClient
from chalicelib.webhooks.enrichment import PagerDutyEnricher
from chalicelib.webhooks.incident import Incident, IncidentEvent
from tests.fakes.pagerduty_api import API_KEY, FakePagerDutyAPI

FROM = "aof-bot@acme.test"


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def client(fake: FakePagerDutyAPI, sleeps: Sleeps | None = None, **kwargs: object) -> PagerDutyClient:
    return PagerDutyClient(
        API_KEY, base_url=fake.url, from_email=FROM, sleep=sleeps if sleeps is not None else Sleeps(), **kwargs
    )  # type: ignore[arg-type]


def test_reads_incident_alerts_and_custom_fields(fake_pagerduty: FakePagerDutyAPI) -> None:
    fake_pagerduty.add_incident(
        "Q1", alert_details=[{"namespace": "production"}], custom_fields={"resource": "deployment/api"}
    )
    pd = client(fake_pagerduty)

    incident = pd.get_incident("Q1")
    alerts = pd.list_alerts("Q1")
    fields = pd.custom_field_values("Q1")

    assert (incident.id, incident.status, incident.escalation_policy.id if incident.escalation_policy else None) == (
        "Q1",
        "triggered",
        "PEP0001",
    )
    assert [a.details for a in alerts] == [{"namespace": "production"}]
    assert [(f.name, f.value) for f in fields] == [("resource", "deployment/api")]
    call = fake_pagerduty.calls[0]
    assert call.headers["Authorization"] == f"Token token={API_KEY}"
    assert call.headers["Accept"] == "application/vnd.pagerduty+json;version=2"


def test_alerts_are_read_across_pages(fake_pagerduty: FakePagerDutyAPI) -> None:
    fake_pagerduty.add_incident("Q1", alert_details=[{"n": i} for i in range(130)])

    alerts = client(fake_pagerduty).list_alerts("Q1")

    assert [a.details["n"] for a in alerts] == list(range(130))
    assert len(fake_pagerduty.calls_to("GET", "/alerts")) == 2


def test_resolve_sends_from_and_resolves_the_incident(fake_pagerduty: FakePagerDutyAPI) -> None:
    incident = fake_pagerduty.add_incident("Q1")

    result = client(fake_pagerduty).resolve_incident(
        "Q1", "Auto-resolved by AOF: kubectl rollout restart deployment/api"
    )

    assert result.status == "resolved"
    assert incident.status == "resolved"
    assert incident.resolution == "Auto-resolved by AOF: kubectl rollout restart deployment/api"
    put = fake_pagerduty.calls_to("PUT")[0]
    assert put.headers["From"] == FROM
    assert put.body == {
        "incident": {
            "type": "incident_reference",
            "status": "resolved",
            "resolution": "Auto-resolved by AOF: kubectl rollout restart deployment/api",
        }
    }


def test_writes_without_from_are_refused_like_pagerduty_does(fake_pagerduty: FakePagerDutyAPI) -> None:
    fake_pagerduty.add_incident("Q1")
    pd = PagerDutyClient(API_KEY, base_url=fake_pagerduty.url, env={}, sleep=Sleeps())

    with pytest.raises(ServiceError) as caught:
        pd.resolve_incident("Q1", "done")

    assert caught.value.details["status"] == 400
    assert "From header" in caught.value.message
    assert fake_pagerduty.incidents["Q1"].status == "triggered"


def test_note_acknowledge_reassign_and_escalate(fake_pagerduty: FakePagerDutyAPI) -> None:
    incident = fake_pagerduty.add_incident("Q1")
    pd = client(fake_pagerduty)

    note = pd.add_note("Q1", "AOF diagnosis: OOMKilled pods in production/api")
    assert pd.acknowledge("Q1").status == "acknowledged"
    pd.reassign_to_escalation_policy("Q1", "PEP0002")
    pd.escalate("Q1", 2)

    assert note.content == "AOF diagnosis: OOMKilled pods in production/api"
    assert [n["content"] for n in incident.notes] == [note.content]
    assert (incident.status, incident.escalation_policy_id, incident.escalation_level) == ("acknowledged", "PEP0002", 2)


def test_429_is_retried_after_the_retry_after_delay(fake_pagerduty: FakePagerDutyAPI) -> None:
    fake_pagerduty.add_incident("Q1")
    fake_pagerduty.fail_next(2, status=429, retry_after=7)
    sleeps = Sleeps()

    incident = client(fake_pagerduty, sleeps).get_incident("Q1")

    assert incident.id == "Q1"
    assert sleeps == [7.0, 7.0]
    assert [c.status for c in fake_pagerduty.calls] == [429, 429, 200]


def test_persistent_500_raises_service_unavailable_after_retries(fake_pagerduty: FakePagerDutyAPI) -> None:
    fake_pagerduty.add_incident("Q1")
    fake_pagerduty.fail_next(10, status=500)
    sleeps = Sleeps()

    with pytest.raises(ServiceUnavailable) as caught:
        client(fake_pagerduty, sleeps, max_retries=3, backoff=0.25).get_incident("Q1")

    assert caught.value.retryable is True
    assert len(fake_pagerduty.calls) == 4
    assert sleeps == [0.25, 0.5, 1.0]


def test_500_then_success_recovers(fake_pagerduty: FakePagerDutyAPI) -> None:
    fake_pagerduty.add_incident("Q1")
    fake_pagerduty.fail_next(1, status=503)
    assert client(fake_pagerduty).get_incident("Q1").id == "Q1"


def test_4xx_carries_pagerdutys_message_and_never_the_key(fake_pagerduty: FakePagerDutyAPI) -> None:
    with pytest.raises(ServiceError) as missing:
        client(fake_pagerduty).get_incident("NOPE")
    assert missing.value.details["status"] == 404 and "Not Found" in missing.value.message

    wrong = PagerDutyClient("u+wrong-secret-key", base_url=fake_pagerduty.url, sleep=Sleeps())
    with pytest.raises(ServiceError) as refused:
        wrong.get_incident("Q1")
    assert "Authentication failed" in str(refused.value)
    assert "u+wrong-secret-key" not in str(refused.value) + repr(refused.value.to_dict()) + repr(wrong)
    assert not isinstance(refused.value, ServiceUnavailable)


def test_connection_refused_is_service_unavailable() -> None:
    pd = PagerDutyClient(API_KEY, base_url="http://127.0.0.1:9", sleep=Sleeps(), max_retries=1, timeout=2)
    with pytest.raises(ServiceUnavailable):
        pd.get_incident("Q1")


def test_configuration_comes_from_the_environment_mapping(fake_pagerduty: FakePagerDutyAPI) -> None:
    fake_pagerduty.add_incident("Q1")
    env = {"PAGERDUTY_API_KEY": API_KEY, "PAGERDUTY_API_URL": fake_pagerduty.url + "/", "PAGERDUTY_FROM_EMAIL": FROM}

    pd = PagerDutyClient(env=env)
    pd.add_note("Q1", "hello")

    assert fake_pagerduty.calls_to("POST", "/notes")[0].headers["From"] == FROM
    with pytest.raises(ConfigurationError):
        PagerDutyClient(env={})
    with pytest.raises(ConfigurationError):
        PagerDutyClient(API_KEY, base_url="file:///etc/passwd")


def test_enricher_merges_alert_details_and_custom_fields(fake_pagerduty: FakePagerDutyAPI) -> None:
    fake_pagerduty.add_incident(
        "Q1",
        alert_details=[{"namespace": "production", "resource": "deployment/api"}, {"namespace": "ignored", "extra": 1}],
        custom_fields={"resource": "statefulset/postgres", "empty": None},
    )
    event = IncidentEvent(event_id="E1", event_type="incident.triggered", incident=Incident(id="Q1", title="t"))

    enriched = PagerDutyEnricher(client(fake_pagerduty)).enrich(event)

    assert enriched.incident.custom_details == {
        "namespace": "production",
        "resource": "statefulset/postgres",
        "extra": 1,
    }
    assert enriched.enrichment_errors == ()
    flow = enriched.to_flow_event()
    assert flow["incident"]["custom_details"]["namespace"] == "production"


def test_enricher_keeps_what_it_could_read(fake_pagerduty: FakePagerDutyAPI) -> None:
    fake_pagerduty.add_incident("Q1", alert_details=[{"namespace": "production"}], custom_fields={"team": "sre"})
    fake_pagerduty.fail_next(2, status=500)  # the alerts call fails (first attempt and its one retry)
    event = IncidentEvent(event_id="E1", event_type="incident.triggered", incident=Incident(id="Q1", title="t"))

    enriched = PagerDutyEnricher(client(fake_pagerduty, max_retries=1)).enrich(event)

    assert enriched.incident.custom_details == {"team": "sre"}
    assert len(enriched.enrichment_errors) == 1 and enriched.enrichment_errors[0].startswith("alerts:")


def test_a_malformed_answer_is_an_enrichment_error_not_a_crash(fake_pagerduty: FakePagerDutyAPI) -> None:
    fake_pagerduty.add_incident("Q1", alert_details=[{"namespace": "production"}], custom_fields={"team": "sre"})
    incident = fake_pagerduty.incidents["Q1"]
    incident.alerts.append({"id": "A-text", "body": {"details": "free text from an email integration"}})
    event = IncidentEvent(event_id="E1", event_type="incident.triggered", incident=Incident(id="Q1", title="t"))

    lenient = PagerDutyEnricher(client(fake_pagerduty)).enrich(event)
    assert lenient.incident.custom_details == {"namespace": "production", "team": "sre"}
    assert lenient.enrichment_errors == (), "an alert whose details are text just has no details"

    incident.alerts.append({"status": "triggered"})  # no id: not an alert we can name
    broken = PagerDutyEnricher(client(fake_pagerduty)).enrich(event)
    assert broken.incident.custom_details == {"team": "sre"}
    assert broken.enrichment_errors == ("alerts: the alert PagerDuty returned has no id",)
