"""After a fix, the tutorial's verification says whether it took, on settled evidence; a fixed
incident is never called a false alarm."""

from __future__ import annotations

import re

from tests.local.flows.test_tutorial import flow_event


def test_the_verification_after_a_restart_quotes_the_finished_rollout(tutorial_app) -> None:
    t = tutorial_app("TEST001")
    run_id = t.local.start_run("incident-auto-response", flow_event("test001.json"), "e2e-verify")
    assert t.outcome(run_id) == "resolved"
    nodes = t.local.runtime.describe(t.local.execution_id(run_id)).output["nodes"]
    said = nodes["verify_fix"]["output"]["root_cause"]
    assert "false alarm" not in said.lower() and "transient" not in said.lower(), said
    assert said.startswith("Resolved after `kubectl rollout restart deployment/api -n production`"), said
    assert "the rollout of deployment/api finished (updated 3/3, ready 3/3" in said, said


def test_the_remediation_verification_is_the_monitors_settled_evidence(tutorial_app) -> None:
    """The remediation agent wrote its verification while the rollout was still moving; the
    record keeps what the monitor saw once health held, not the model's in-progress quote."""
    t = tutorial_app("TEST001")
    run_id = t.local.start_run("incident-auto-response", flow_event("test001.json"), "e2e-verify-2")
    assert t.outcome(run_id) == "resolved"
    nodes = t.local.runtime.describe(t.local.execution_id(run_id)).output["nodes"]
    said = nodes["remediate"]["output"]["verification"]
    assert "waiting for" not in said.lower(), said
    assert re.match(r"health held after `rollout restart deployment/api -n production` for \d+s: ", said), said
    assert "3/3 ready, rolled out: True, waiting: none" in said, said
