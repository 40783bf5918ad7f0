"""The tutorial's Transform scripts: variables, the log-incident artifact, and no shell."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

from chalicelib.nodes.dispatch import run_task
from tests.unit.nodes.conftest import ROOT, payload, tutorial_node


def tutorial_event(name: str) -> dict[str, Any]:
    from chalicelib.webhooks.pagerduty_body import parse_body

    return parse_body((ROOT / "examples" / "events" / name).read_bytes()).to_flow_event()


def state_for(event: dict[str, Any], **nodes: Any) -> dict[str, Any]:
    return {"event": event, "vars": {}, "nodes": dict(nodes), "flow": {"name": "incident-auto-response"}}


def test_parse_alert_gives_the_tutorial_variables_for_both_incidents(make_deps) -> None:
    one = run_task(
        "transform_node", payload(tutorial_node("parse-alert"), state_for(tutorial_event("test001.json"))), make_deps()
    )
    assert one["state"]["vars"] == {
        "INCIDENT_ID": "TEST001",
        "INCIDENT_TITLE": "High memory usage on api-deployment",
        "INCIDENT_SERVICE": "API Service",
        "INCIDENT_URGENCY": "high",
        "INCIDENT_URL": "https://yourcompany.pagerduty.com/incidents/TEST001",
        "K8S_NAMESPACE": "production",
        "K8S_RESOURCE": "deployment/api",
    }
    two = run_task(
        "transform_node", payload(tutorial_node("parse-alert"), state_for(tutorial_event("test002.json"))), make_deps()
    )
    assert (two["state"]["vars"]["INCIDENT_ID"], two["state"]["vars"]["K8S_RESOURCE"]) == (
        "TEST002",
        "statefulset/postgres",
    )
    assert two["state"]["nodes"]["parse_alert"]["status"] == "succeeded"


def test_a_missing_namespace_falls_back_to_default(make_deps) -> None:
    event = tutorial_event("test001.json")
    del event["incident"]["custom_details"]["namespace"]
    out = run_task("transform_node", payload(tutorial_node("parse-alert"), state_for(event)), make_deps())
    assert out["state"]["vars"]["K8S_NAMESPACE"] == "default"


def test_auto_approve_sets_approved(make_deps) -> None:
    out = run_task("transform_node", payload(tutorial_node("auto-approve"), state_for({})), make_deps())
    assert out["state"]["vars"]["APPROVED"] in (True, "true")


def log_incident(
    make_deps: Any, title: str, root_cause: str, store: Any, incident_id: str = "TEST001"
) -> tuple[dict[str, Any], dict[str, Any]]:
    state = state_for(
        {"incident": {"id": incident_id, "title": title}},
        diagnose={"output": {"severity": "high", "root_cause": root_cause}},
        remediate={"output": {"action_taken": "kubectl rollout restart deployment/api", "result": "success"}},
    )
    state["vars"] = {"INCIDENT_ID": incident_id, "INCIDENT_TITLE": title}
    out = run_task("transform_node", payload(tutorial_node("log-incident"), state), make_deps())
    written = out["meta"]["written"][0]
    return written, json.loads(store.artifacts.get_artifact(written["ref"]))


def test_log_incident_writes_valid_json_to_the_artifact_store_even_with_quotes(make_deps, store) -> None:
    title = 'He said "restart it" \\ then left\ttab'
    written, document = log_incident(make_deps, title, 'leak in "cache"\nsecond line', store)
    assert written["path"] == "/tmp/incident-TEST001.json"
    assert document["incident_id"] == "TEST001" and document["title"] == title
    assert document["root_cause"] == 'leak in "cache"\nsecond line'
    assert document["remediation"] == "kubectl rollout restart deployment/api" and document["result"] == "success"
    assert document["auto_resolved"] is True and isinstance(document["duration_seconds"], int)
    assert document["timestamp"].endswith("Z") and "$(date" not in document["timestamp"]
    assert store.artifacts.list_artifacts("run-1") == [written["ref"]]


def test_shell_metacharacters_in_incident_fields_stay_text(make_deps, store) -> None:
    marker = Path(f"/tmp/aof-transform-{uuid.uuid4().hex}")
    hostile = f'$(touch {marker}) `touch {marker}` ; touch {marker} | tee {marker} && "$(id)" > {marker}'
    event = tutorial_event("test001.json")
    event["incident"]["title"] = hostile
    event["incident"]["custom_details"]["namespace"] = f"$(touch {marker})"
    parsed = run_task("transform_node", payload(tutorial_node("parse-alert"), state_for(event)), make_deps())
    assert parsed["state"]["vars"]["INCIDENT_TITLE"] == hostile
    assert parsed["state"]["vars"]["K8S_NAMESPACE"] == f"$(touch {marker})"
    unique = f"T{uuid.uuid4().hex[:8]}"
    written, document = log_incident(make_deps, hostile, hostile, store, incident_id=unique)
    assert document["title"] == hostile and document["root_cause"] == hostile
    assert not marker.exists(), "nothing was executed"
    assert not Path(written["path"]).exists(), "the heredoc went to the artifact store, not the filesystem"


def test_with_a_files_directory_the_heredoc_file_is_really_written_there(make_deps, store, tmp_path) -> None:
    files = tmp_path / "files"
    state = state_for(
        {"incident": {"id": "TEST001", "title": "High memory"}},
        diagnose={"output": {"severity": "high", "root_cause": "leak"}},
        remediate={"output": {"action_taken": "kubectl rollout restart deployment/api", "result": "success"}},
    )
    state["vars"] = {"INCIDENT_ID": "TEST001", "INCIDENT_TITLE": "High memory"}
    out = run_task("transform_node", payload(tutorial_node("log-incident"), state), make_deps(AOF_FILES_DIR=str(files)))
    (written,) = out["meta"]["written"]
    assert written["written_to"] == str(files / "incident-TEST001.json")
    on_disk = json.loads(Path(written["written_to"]).read_text())
    assert on_disk == json.loads(store.artifacts.get_artifact(written["ref"]))
    assert on_disk["incident_id"] == "TEST001"


def test_an_incident_id_cannot_choose_the_directory_a_file_is_written_to(make_deps, store, tmp_path) -> None:
    files = tmp_path / "a" / "b" / "files"
    hostile = "../../x/../escaped"
    state = state_for(
        {"incident": {"id": hostile, "title": "t"}},
        diagnose={"output": {"severity": "high", "root_cause": "r"}},
        remediate={"output": {"action_taken": "none", "result": "success"}},
    )
    state["vars"] = {"INCIDENT_ID": hostile, "INCIDENT_TITLE": "t"}
    out = run_task("transform_node", payload(tutorial_node("log-incident"), state), make_deps(AOF_FILES_DIR=str(files)))
    (written,) = out["meta"]["written"]
    assert Path(written["written_to"]).parent == files
    assert [p for p in (tmp_path / "a").rglob("*") if p.is_file()] == [Path(written["written_to"])]
