"""The tutorial's production add-ons and Transform scripts, run on the embedded engine."""

from __future__ import annotations

import json
import os
import tempfile
import threading
import uuid
from pathlib import Path

from chalicelib.nodes.models import NodeInput
from chalicelib.nodes.transform import handle as transform
from chalicelib.spec import load_resources
from chalicelib.store import open_store
from sandbox.demo import approve_when_asked

ROOT = Path(__file__).resolve().parents[4]


def test_runbook_is_fetched_and_handed_to_the_diagnosis(httpserver, tmp_path):
    from chalicelib.service.local import LocalApp
    from chalicelib.webhooks.pagerduty_body import parse_body
    from sandbox.testing import running_sandbox

    httpserver.expect_request("/api/API Service").respond_with_json(
        {"steps": ["check memory", "restart the deployment if the heap is exhausted"]}
    )
    flow = (ROOT / "examples/production/incident-response-with-runbook.yaml").read_text()
    # The runbook server of this test lives on loopback: the flow allows it explicitly, by
    # name, in its egress allowlist (the HTTP node refuses internal addresses by default).
    flow = flow.replace(
        "url: https://runbooks.yourcompany.com/api/${INCIDENT_SERVICE}\n        method: GET",
        f"url: {httpserver.url_for('/api')}/${{INCIDENT_SERVICE}}\n        method: GET",
    )
    flow = flow.replace("url: https://metrics.yourcompany.com/incidents", f"url: {httpserver.url_for('/metrics')}")
    flow = flow.replace("\nspec:\n", "\nspec:\n  egress:\n    allowed_hosts: [127.0.0.1]\n", 1)
    httpserver.expect_request("/metrics", method="POST").respond_with_json({"ok": True})
    flows = tmp_path / "flows"
    flows.mkdir()
    (flows / "runbook.yaml").write_text(flow)
    event = parse_body((ROOT / "examples/events/test001.json").read_bytes()).to_flow_event()
    with running_sandbox("test001-high-memory", speed=3.0) as cluster:
        env = {**os.environ, **cluster.env, "AOF_MONITOR_SECONDS": "2", "ANTHROPIC_API_KEY": "", "OPENAI_API_KEY": ""}
        env = {k: v for k, v in env.items() if not k.startswith("SLACK_") and not k.startswith("PAGERDUTY_")}
        app = LocalApp(
            [str(ROOT / "agents"), str(flows)], env=env, state_dir=tmp_path / "state", out=open(os.devnull, "w")
        )
        try:
            run_id = app.start_run("incident-response-with-runbook", event, f"runbook-{uuid.uuid4().hex[:8]}")
            # Whatever the diagnosis asks for, the on-call engineer approves it here.
            threading.Thread(target=approve_when_asked, args=(app, run_id, "U0ONCALL"), daemon=True).start()
            try:
                app.wait(run_id, timeout=120)
            except TimeoutError:
                raise AssertionError(
                    [
                        e["type"] + ":" + str(e.get("stateEnteredEventDetails", {}).get("name", ""))
                        for e in app.runtime.history(app.execution_id(run_id))
                    ][-8:]
                ) from None
            events = app.store.runs.events(run_id)
            calls = [e for e in events if e.type == "AgentCall" and e.node_id == "diagnose-with-runbook"]
            assert "restart the deployment if the heap is exhausted" in calls[0].details["input"]
            # The tutorial's runbook prompt names no namespace or resource: the offline model
            # looks across namespaces (system ones aside) and diagnoses where the trouble is.
            diagnosis = calls[0].details["output"]
            assert diagnosis["confidence"] > 0.5
            assert "rollout restart deployment/api -n production" in str(diagnosis)
            assert app.store.runs.get_run(run_id).outcome == "resolved"
            restarts = [a for a in cluster.actions if not a.get("dry_run") and a.get("namespace") == "production"]
            assert restarts, "the fix reached the cluster"
        finally:
            app.close()
    # The service name was percent-encoded into the URL and arrived whole.
    assert [r.path for r, _ in httpserver.log if r.path.startswith("/api/")] == ["/api/API Service"]


def test_rate_limit_is_parsed_onto_the_flow():
    flow = load_resources(["agents", "examples/production"]).flows["incident-response-with-runbook"]
    assert (
        flow.spec.rate_limit.max_concurrent,
        flow.spec.rate_limit.queue_size,
        flow.spec.rate_limit.timeout_seconds,
    ) == (3, 10, 1800)


def test_log_incident_writes_valid_json_even_when_fields_hold_quotes_and_shell():
    flow = load_resources(["agents", "flows"]).flows["incident-auto-response"]
    node = flow.spec.node("log-incident")
    marker = Path(f"/tmp/aof-pwned-{uuid.uuid4().hex}")
    store = open_store(f"sqlite:///{tempfile.mkdtemp()}/s.db")
    state = {
        "event": {},
        "vars": {"INCIDENT_ID": "TEST001", "INCIDENT_TITLE": f'He said "$(touch {marker})" `id`'},
        "nodes": {
            "diagnose": {"output": {"severity": "high", "root_cause": "leak\nwith newline"}},
            "remediate": {"output": {"action_taken": "kubectl rollout restart deployment/api", "result": "success"}},
        },
        "flow": {},
    }
    out = transform(
        NodeInput(
            node={"id": node.id, "type": "Transform", "config": node.config.model_dump()},
            state=state,
            context={"execution_name": "r1", "started_at": "2026-11-26T10:00:00Z"},
        ),
        artifacts=store.artifacts,
    )
    written = out.meta["written"][0]
    assert written["path"] == "/tmp/incident-TEST001.json"
    document = json.loads(store.artifacts.get_artifact(written["ref"]))
    assert document["title"] == f'He said "$(touch {marker})" `id`'
    assert document["root_cause"] == "leak\nwith newline"
    assert document["auto_resolved"] is True and isinstance(document["duration_seconds"], int)
    assert document["timestamp"].endswith("Z")
    assert not marker.exists()


def test_parse_alert_exports_the_tutorial_variables_with_defaults():
    flow = load_resources(["agents", "flows"]).flows["incident-auto-response"]
    node = flow.spec.node("parse-alert")
    incident = json.loads((ROOT / "examples/events/test001.json").read_text())["event"]["incident"]
    del incident["custom_details"]["namespace"]
    out = transform(
        NodeInput(
            node={"id": node.id, "type": "Transform", "config": node.config.model_dump()},
            state={"event": {"incident": incident}, "vars": {}, "nodes": {}, "flow": {}},
        )
    )
    assert out.state["vars"]["K8S_NAMESPACE"] == "default"
    assert out.state["vars"]["INCIDENT_ID"] == "TEST001"
    assert out.state["vars"]["K8S_RESOURCE"] == "deployment/api"
