from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from chalicelib.store import ApprovalRecord, RunEvent, RunRecord, plan_hash
from chalicelib.store.records import RecordError


def test_plan_hash_ignores_key_order_but_not_content() -> None:
    assert plan_hash({"a": 1, "b": [1, 2]}) == plan_hash({"b": [1, 2], "a": 1})
    assert plan_hash({"a": 1}) != plan_hash({"a": 2})
    assert len(plan_hash({})) == 64


def test_approval_refuses_a_hash_that_does_not_match_its_plan() -> None:
    base = {"approval_id": "a", "run_id": "r", "node_id": "n", "task_token": "t", "expires_at": 1}
    ok = ApprovalRecord.from_dict({**base, "plan": {"x": 1}})
    assert ok.plan_hash == plan_hash({"x": 1})
    with pytest.raises(RecordError):
        ApprovalRecord.from_dict({**base, "plan": {"x": 2}, "plan_hash": ok.plan_hash})


def test_timestamps_are_normalised_to_utc_iso() -> None:
    paris = timezone(timedelta(hours=1))
    r = RunRecord(run_id="r", flow="f", started_at=datetime(2027, 1, 15, 9, 0, tzinfo=paris))
    assert r.started_at == "2027-01-15T08:00:00.000000Z"
    assert RunEvent(type="t", at="2027-01-15T08:00:00Z").at == "2027-01-15T08:00:00.000000Z"
    assert RunEvent(type="t", at=datetime(2027, 1, 15, 8)).at == "2027-01-15T08:00:00.000000Z"


def test_records_are_json_serialisable_and_strict() -> None:
    r = RunRecord(run_id="r", flow="f", extra={"k": [1, 2.5, None]})
    assert RunRecord.from_dict(json.loads(json.dumps(r.to_dict()))) == r
    with pytest.raises(RecordError):
        RunRecord.from_dict({"run_id": "r", "flow": "f", "unknown": 1})


def test_a_bad_value_names_the_record_and_the_field() -> None:
    with pytest.raises(RecordError, match=r"RunRecord.status: must be one of queued, .*; got 'exploded'"):
        RunRecord(run_id="r", flow="f", status="exploded")  # type: ignore[arg-type]
    with pytest.raises(RecordError, match=r"RunEvent.at: is not an ISO-8601 timestamp: 'yesterday'"):
        RunEvent(type="t", at="yesterday")
    with pytest.raises(RecordError, match=r"ApprovalRecord: .*expires_at"):
        ApprovalRecord.from_dict({"approval_id": "a", "run_id": "r", "node_id": "n", "task_token": "t"})
    with pytest.raises(RecordError, match=r"RunEvent.seq: must be a number, not bool"):
        RunEvent(type="t", seq=True)


def test_records_are_immutable_copies_are_checked() -> None:
    r = RunRecord(run_id="r", flow="f")
    with pytest.raises(AttributeError):
        r.status = "running"  # type: ignore[misc]
    assert r.replace(status="running").status == "running" and r.status == "queued"
    with pytest.raises(RecordError, match="unknown field"):
        r.replace(colour="red")
