"""Runs named as an on-call engineer names them: id, unique prefix, incident id, approval id."""

from __future__ import annotations

from pathlib import Path

import pytest

from chalicelib.cli.run_ref import RunRefError, find_run
from chalicelib.store import ApprovalRecord, RunRecord, open_store


def test_a_run_is_found_by_id_prefix_incident_or_approval(tmp_path: Path) -> None:
    with open_store(f"sqlite:///{tmp_path / 'aof.db'}") as store:
        for run_id, incident in (("incident-auto-response-TEST001-aaa111", "TEST001"),
                                 ("incident-auto-response-TEST002-bbb222", "TEST002"),
                                 ("incident-auto-response-TEST002-bbb333", "TEST002")):
            store.runs.create_run(RunRecord(run_id=run_id, flow="incident-auto-response", incident_id=incident))
        store.approvals.put_approval(
            ApprovalRecord(
                approval_id="appr-7f3c", run_id="incident-auto-response-TEST002-bbb333", node_id="request-approval",
                task_token="tok", plan={"proposed_actions": {}}, expires_at=4_000_000_000,
            )
        )
        assert find_run(store, "incident-auto-response-TEST001-aaa111").incident_id == "TEST001"
        assert find_run(store, "TEST001").run_id.endswith("aaa111")
        assert find_run(store, "incident-auto-response-TEST002-bbb2").run_id.endswith("bbb222")
        assert find_run(store, "appr-7f3c").run_id.endswith("bbb333")
        # Two runs of TEST002: the one waiting for an approval is the one an approver means...
        assert find_run(store, "TEST002", prefer_pending=True).run_id.endswith("bbb333")
        # ...and otherwise the ambiguity is listed, never guessed.
        with pytest.raises(RunRefError) as ambiguous:
            find_run(store, "TEST002")
        assert "incident TEST002 names 2 runs" in str(ambiguous.value) and "bbb222" in str(ambiguous.value)
        with pytest.raises(RunRefError, match="no run, incident or approval 'TEST999'"):
            find_run(store, "TEST999")
