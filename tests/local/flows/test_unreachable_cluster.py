"""A run whose cluster cannot be reached says so, recommends nothing, asks no approval and hands
the incident to a human (instead of diagnosing "deployment/api was not found")."""

from __future__ import annotations

import socket
from pathlib import Path

from sandbox.testing import write_kubeconfig
from tests.local.flows.test_tutorial import flow_event


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # closed again when the block ends: nothing listens there


def test_an_unreachable_cluster_is_said_in_plain_words_and_escalated(tutorial_app, tmp_path: Path) -> None:
    port = closed_port()
    kubeconfig = write_kubeconfig(tmp_path / "kubeconfig", f"http://127.0.0.1:{port}", "production")
    t = tutorial_app("TEST002", extra_env={"KUBECONFIG": str(kubeconfig)})
    run_id = t.local.start_run("incident-auto-response", flow_event("test002.json"), "e2e-blind")
    outcome = t.outcome(run_id)

    assert outcome == "escalated"
    run = t.local.store.runs.get_run(run_id)
    events = t.local.store.runs.events(run_id)
    blind = [e.details["problem"] for e in events if e.type == "ClusterUnreachable"]
    assert blind and all(f"127.0.0.1:{port}: connection refused" in p for p in blind), blind
    assert not t.local.store.approvals.find_pending_by_run(run_id)
    assert "ApprovalDecided" not in [e.type for e in events], "no approval asked for a plan built on nothing"
    assert not [a for a in t.cluster.actions if not a.get("dry_run")]
    # What the humans read says what happened, not a diagnosis made up from refused calls.
    posted = " ".join(c.params.get("text", "") for c in t.slack.calls_to("chat.postMessage"))
    assert "cannot read namespace production through the Kubernetes API" in posted
    assert "not found" not in posted
    notes = [c.body for c in t.pagerduty.calls_to("POST", "/notes")]
    assert any("cannot read namespace production" in str(n) for n in notes), notes
    assert run is not None and run.outcome == "escalated"
