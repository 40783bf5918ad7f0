from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from chalicelib.store import ApprovalRecord, RunEvent, RunRecord, plan_hash


def test_plan_hash_ignores_key_order_but_not_content() -> None:
    assert plan_hash({"a": 1, "b": [1, 2]}) == plan_hash({"b": [1, 2], "a": 1})
    assert plan_hash({"a": 1}) != plan_hash({"a": 2})
    assert len(plan_hash({})) == 64


def test_approval_refuses_a_hash_that_does_not_match_its_plan() -> None:
    base = {"approval_id": "a", "run_id": "r", "node_id": "n", "task_token": "t", "expires_at": 1}
    ok = ApprovalRecord.model_validate({**base, "plan": {"x": 1}})
    assert ok.plan_hash == plan_hash({"x": 1})
    with pytest.raises(ValidationError):
        ApprovalRecord.model_validate({**base, "plan": {"x": 2}, "plan_hash": ok.plan_hash})


def test_timestamps_are_normalised_to_utc_iso() -> None:
    paris = timezone(timedelta(hours=1))
    r = RunRecord(run_id="r", flow="f", started_at=datetime(2027, 1, 15, 9, 0, tzinfo=paris))
    assert r.started_at == "2027-01-15T08:00:00.000000Z"
    assert RunEvent(type="t", at="2027-01-15T08:00:00Z").at == "2027-01-15T08:00:00.000000Z"
    assert RunEvent(type="t", at=datetime(2027, 1, 15, 8)).at == "2027-01-15T08:00:00.000000Z"


def test_records_are_json_serialisable_and_strict() -> None:
    r = RunRecord(run_id="r", flow="f", extra={"k": [1, 2.5, None]})
    assert RunRecord.model_validate_json(r.model_dump_json()) == r
    with pytest.raises(ValidationError):
        RunRecord.model_validate({"run_id": "r", "flow": "f", "unknown": 1})
