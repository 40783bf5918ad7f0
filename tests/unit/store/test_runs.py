from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.errors import AlreadyExists, NotFound
from chalicelib.store import RunEvent, RunRecord, Store
from chalicelib.store.records import RecordError

T0 = datetime(2027, 1, 15, 8, 0, tzinfo=UTC)


def run(run_id: str, flow: str = "incident-auto-response", minutes: int = 0, **fields: object) -> RunRecord:
    return RunRecord.from_dict(
        {"run_id": run_id, "flow": flow, "started_at": T0 + timedelta(minutes=minutes), **fields}
    )


def test_create_and_get_roundtrip(store: Store) -> None:
    created = run(
        "run-1",
        incident_id="TEST001",
        event_id="evt-1",
        title="High memory on api",
        severity="high",
        extra={"namespace": "default", "ratio": 0.93},
    )
    store.runs.create_run(created)

    loaded = store.runs.get_run("run-1")
    assert loaded == created
    assert loaded is not None and loaded.started_at == "2027-01-15T08:00:00.000000Z"
    assert store.runs.get_run("missing") is None


def test_duplicate_run_raises_with_existing(store: Store) -> None:
    store.runs.create_run(run("run-1", title="first"))

    with pytest.raises(AlreadyExists) as raised:
        store.runs.create_run(run("run-1", title="second"))

    assert raised.value.existing["title"] == "first"
    loaded = store.runs.get_run("run-1")
    assert loaded is not None and loaded.title == "first"


def test_update_run_changes_fields_and_validates(store: Store) -> None:
    store.runs.create_run(run("run-1"))

    updated = store.runs.update_run("run-1", status="succeeded", outcome="resolved", ended_at=T0 + timedelta(minutes=3))

    assert updated.status == "succeeded"
    assert store.runs.get_run("run-1") == updated
    assert updated.ended_at == "2027-01-15T08:03:00.000000Z"
    with pytest.raises(RecordError):
        store.runs.update_run("run-1", status="exploded")
    with pytest.raises(RecordError):
        store.runs.update_run("run-1", no_such_field=1)
    with pytest.raises(NotFound):
        store.runs.update_run("missing", status="running")


def test_list_runs_newest_first_with_filters_and_limit(store: Store) -> None:
    store.runs.create_run(run("a", flow="flow-a", minutes=0))
    store.runs.create_run(run("b", flow="flow-b", minutes=10))
    store.runs.create_run(run("c", flow="flow-a", minutes=20))
    store.runs.create_run(run("d", flow="flow-a", minutes=30))

    assert [r.run_id for r in store.runs.list_runs()] == ["d", "c", "b", "a"]
    assert [r.run_id for r in store.runs.list_runs(flow="flow-a")] == ["d", "c", "a"]
    assert [r.run_id for r in store.runs.list_runs(since=T0 + timedelta(minutes=10))] == ["d", "c", "b"]
    assert [r.run_id for r in store.runs.list_runs(flow="flow-a", since=T0 + timedelta(minutes=5))] == ["d", "c"]
    assert [r.run_id for r in store.runs.list_runs(limit=2)] == ["d", "c"]
    assert store.runs.list_runs(flow="flow-zzz") == []


def test_list_runs_follows_a_changed_start_time(store: Store) -> None:
    store.runs.create_run(run("a", minutes=0))
    store.runs.create_run(run("b", minutes=10))

    store.runs.update_run("a", started_at=T0 + timedelta(minutes=20))

    assert [r.run_id for r in store.runs.list_runs()] == ["a", "b"]


def test_find_run_by_incident(store: Store) -> None:
    store.runs.create_run(run("r1", incident_id="TEST001", minutes=0))
    store.runs.create_run(run("r2", incident_id="TEST002", minutes=1))
    store.runs.create_run(run("r3", incident_id="TEST001", minutes=2))
    store.runs.create_run(run("r4", minutes=3))

    assert [r.run_id for r in store.runs.find_run_by_incident("TEST001")] == ["r3", "r1"]
    assert store.runs.find_run_by_incident("TEST999") == []


def test_events_keep_append_order_with_increasing_sequence(store: Store) -> None:
    store.runs.create_run(run("run-1"))
    types = ["started", "node_entered", "node_succeeded", "approval_requested", "finished"]
    returned = [
        store.runs.append_event("run-1", RunEvent(type=t, node_id=f"n{i}", at=T0, details={"i": i}))
        for i, t in enumerate(types)
    ]
    store.runs.append_event("run-2", RunEvent(type="other-run"))

    events = store.runs.events("run-1")

    assert [e.type for e in events] == types
    assert [e.seq for e in events] == [1, 2, 3, 4, 5]
    assert returned == events
    assert events[2].details == {"i": 2}
    assert [e.seq for e in store.runs.events("run-2")] == [1]
    assert store.runs.events("no-run") == []


def test_many_events_come_back_in_order(store: Store) -> None:
    for i in range(30):
        store.runs.append_event("run-1", RunEvent(type="tick", details={"i": i}))

    assert [e.details["i"] for e in store.runs.events("run-1")] == list(range(30))
