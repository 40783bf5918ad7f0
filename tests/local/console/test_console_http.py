"""The console over HTTP, as a browser (or an attacker's page) reaches it: sign-in, what the
pages show, escaping, secrets, cross-site requests and the approval rules. The console is
mounted on a plain local HTTP server over a LocalApp whose store holds recorded runs."""

from __future__ import annotations

import http.client
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from chalicelib.console import Console, ConsoleServer, console_for
from chalicelib.console.auth import CSRF_HEADER
from chalicelib.service.local import LocalApp
from chalicelib.store import ApprovalRecord, RunEvent, RunRecord

ROOT = Path(__file__).resolve().parents[3]
FLOW = "incident-auto-response"
APPROVER, BYSTANDER = "U0APPROVER1", "U0BYSTANDER9"
TOKENS = {APPROVER: "approver-console-token-3b1f", BYSTANDER: "bystander-console-token-9c2d"}
BOT_TOKEN = "xoxb-console-secret-4242"
HOSTILE = '<img src=x onerror=alert(1)>"><script>alert(2)</script>'
START = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: str

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Site:
    app: LocalApp
    console: Console
    host: str

    def request(
        self, method: str, path: str, person: str | None = None, body: Any = None, headers: dict[str, str] | None = None
    ) -> Answer:
        connection = http.client.HTTPConnection(self.host, timeout=30)
        sent = dict(headers or {})
        if person:
            sent["Cookie"] = f"aof_console_{self.host.rpartition(':')[2]}={TOKENS[person]}"
        data = json.dumps(body).encode() if body is not None else None
        if data is not None:
            sent["Content-Type"] = "application/json"
        connection.request(method, path, body=data, headers=sent)
        response = connection.getresponse()
        answer = Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read().decode())
        connection.close()
        return answer

    def form_token(self, person: str) -> str:
        page = self.request("GET", "/console/", person).body
        return page.split('name="console-form-token" content="', 1)[1].split('"', 1)[0]

    def decide(self, person: str, run_id: str, approval_id: str, decision: str = "approve", **headers: str) -> Answer:
        sent = {CSRF_HEADER: self.form_token(person), "Origin": f"http://{self.host}", **headers}
        return self.request(
            "POST", f"/console/runs/{run_id}/approvals/{approval_id}", person, {"decision": decision}, sent
        )


def _run(store: Any, run_id: str, minutes: int, **fields: Any) -> RunRecord:
    started = START + timedelta(minutes=minutes)
    record = RunRecord(run_id=run_id, flow=FLOW, incident_id=f"INC{minutes}", started_at=started, **fields)
    return store.runs.create_run(record)


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    env = {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_APPROVERS": APPROVER, "PATH": os.environ.get("PATH", "")}
    with open(os.devnull, "w") as quiet:
        app = LocalApp([str(ROOT / "agents"), str(ROOT / "flows")], env=env, state_dir=tmp_path, out=quiet, start=False)
        console = console_for(app, [APPROVER, BYSTANDER], TOKENS)
        server = ConsoleServer(console)
        try:
            yield Site(app, console, server.url.removeprefix("http://"))
        finally:
            server.close()
            app.close()


def test_nothing_is_shown_without_a_token_and_a_token_becomes_a_strict_cookie(site: Site) -> None:
    _run(site.app.store, "run-secret-title", 1, title="Payments down")
    for path in ("/console/", "/console/runs/run-secret-title", f"/console/flows/{FLOW}", "/console/runs/x/live"):
        answer = site.request("GET", path)
        assert answer.status == 401 and "Payments down" not in answer.body
    assert site.request("GET", "/console/?token=not-a-token").status == 401

    signed = site.request("GET", f"/console/runs/run-secret-title?token={TOKENS[BYSTANDER]}")
    assert signed.status == 303 and signed.headers["location"] == "/console/runs/run-secret-title"
    cookie = signed.headers["set-cookie"]
    assert cookie.startswith(f"aof_console_{site.host.rpartition(':')[2]}={TOKENS[BYSTANDER]};")
    assert "HttpOnly" in cookie
    assert "SameSite=Strict" in cookie
    # Cookies ignore ports: another console's cookie on this machine does not sign in here.
    other = site.request("GET", "/console/", headers={"Cookie": f"aof_console_1={TOKENS[BYSTANDER]}"})
    assert other.status == 401
    page = site.request("GET", "/console/runs/run-secret-title", BYSTANDER)
    assert page.status == 200 and "Payments down" in page.body
    assert f'<b id="who">{BYSTANDER}</b>' in page.body
    assert "script-src 'self'" in page.headers["content-security-policy"]


def test_runs_are_listed_newest_first_filtered_and_paged(site: Site) -> None:
    for minute in range(30):
        _run(site.app.store, f"run-{minute:02d}", minute, status="failed" if minute % 3 == 0 else "succeeded")

    def listed(query: str) -> list[str]:
        body = site.request("GET", f"/console/?{query}", APPROVER).body
        return [part.split('"', 1)[0] for part in body.split('<tr class="run" data-run="')[1:]]

    first, second = listed(""), listed("page=2")
    assert first == [f"run-{m:02d}" for m in range(29, 4, -1)]
    assert second == [f"run-{m:02d}" for m in range(4, -1, -1)]
    assert listed("status=failed") == [f"run-{m:02d}" for m in range(27, -1, -3)]
    assert listed("flow=post-incident-daily") == []
    assert "page 2 of 2 (30 runs)" in site.request("GET", "/console/?page=2", APPROVER).body


def test_incident_data_is_escaped_and_secrets_are_never_rendered(site: Site) -> None:
    store = site.app.store
    _run(store, "run-hostile", 1, title=HOSTILE)
    store.runs.append_event(
        "run-hostile",
        RunEvent(
            type="AgentCall",
            node_id="diagnose",
            details={
                "agent": "incident-diagnostic",
                "output": {"root_cause": HOSTILE},
                "tool_calls": [
                    {
                        "name": "shell",
                        "input": {"command": f"curl -H 'Authorization: Bearer {BOT_TOKEN}'"},
                        "ok": True,
                        "output_summary": f"token {BOT_TOKEN} {HOSTILE} pods listed",
                    }
                ],
            },
        ),
    )
    store.runs.append_event(
        "run-hostile",
        RunEvent(type="PolicyDenied", node_id="remediate", details={"action": HOSTILE, "reason": f"uses {BOT_TOKEN}"}),
    )
    for path in (
        "/console/",
        "/console/runs/run-hostile",
        "/console/runs/run-hostile/panels",
        "/console/runs/run-hostile/postmortem",
    ):
        body = site.request("GET", path, APPROVER).body
        assert "<img src=x" not in body and "<script>alert" not in body, path
        assert BOT_TOKEN not in body, path
    page = site.request("GET", "/console/runs/run-hostile", APPROVER).body
    assert "&lt;img src=x onerror=alert(1)&gt;&quot;&gt;&lt;script&gt;alert(2)&lt;/script&gt;" in page
    assert "refused" in page and "uses ***" in page
    assert "token *** &lt;img" in page and "pods listed" in page, "a tool call's output is shown, masked"


def test_a_change_links_to_its_snapshot_shown_as_masked_text(site: Site) -> None:
    store = site.app.store
    _run(store, "run-change", 1)
    _run(store, "run-elsewhere", 2)
    snapshot = {"kind": "StatefulSet", "metadata": {"name": "postgres"}, "note": f"{BOT_TOKEN} {HOSTILE}"}
    ref = store.artifacts.put_artifact(
        "run-change", "remediate-snapshot-statefulset-postgres.json", json.dumps(snapshot)
    )
    theirs = store.artifacts.put_artifact("run-elsewhere", "remediate-snapshot-other.json", "{}")
    change = "kubectl rollout restart statefulset/postgres -n production"
    for kind in ("ChangeSnapshot", "ChangeRolledBack"):
        store.runs.append_event(
            "run-change", RunEvent(type=kind, node_id="remediate", details={"change": change, "ref": ref})
        )
    page = site.request("GET", "/console/runs/run-change", APPROVER).body
    assert "rolled back" in page and page.count('class="snapshot"') == 2
    link = page.split('<a class="snapshot" href="', 1)[1].split('"', 1)[0].replace("&amp;", "&")
    shown = site.request("GET", link, APPROVER)
    assert shown.status == 200 and shown.headers["content-type"].startswith("text/plain")
    assert json.loads(shown.body)["metadata"]["name"] == "postgres"
    assert BOT_TOKEN not in shown.body and "***" in shown.body
    query = urlencode({"ref": theirs})
    assert site.request("GET", f"/console/runs/run-change/artifact?{query}", APPROVER).status == 404
    assert site.request("GET", link).status == 401


def _approval(store: Any, run_id: str, **fields: Any) -> ApprovalRecord:
    """An approval as the request-approval node records it: its id derived from the execution."""
    from chalicelib.nodes.models import NodeInput, TaskContext
    from chalicelib.nodes.slack import approval_id_for

    execution = f"arn:aws:states:us-east-1:123456789012:execution:{FLOW}:{run_id}"
    _run(store, run_id, 5, status="running", execution_arn=execution)
    store.runs.append_event(run_id, RunEvent(type="Warning", node_id="request-approval", details={}))
    probe = NodeInput(node={"id": "request-approval", "type": "Slack"}, context=TaskContext(execution_id=execution))
    record = ApprovalRecord(
        approval_id=approval_id_for(probe),
        run_id=run_id,
        node_id="request-approval",
        task_token=f"token-{run_id}",
        plan={"incident": "TEST002", "proposed_actions": {"diagnose": "kubectl rollout restart statefulset/postgres"}},
        **{
            "approvers": [APPROVER],
            "requested_by": "aof",
            "expires_at": int((datetime.now(UTC) + timedelta(hours=1)).timestamp()),
            **fields,
        },
    )
    return store.approvals.put_approval(record)


def test_a_waiting_run_shows_its_exact_plan_and_hash(site: Site) -> None:
    approval = _approval(site.app.store, "run-waits")
    page = site.request("GET", "/console/runs/run-waits", APPROVER).body
    assert approval.plan_hash in page and "kubectl rollout restart statefulset/postgres" in page
    assert 'class="badge waiting_approval"' in page
    assert page.count('name="decision"') == 3
    listed = site.request("GET", "/console/?status=waiting_approval", APPROVER).body
    assert '<tr class="run" data-run="run-waits" data-status="waiting_approval">' in listed


def test_cross_site_and_unauthorised_decisions_are_refused(site: Site) -> None:
    store = site.app.store
    approval = _approval(store, "run-guarded")
    path = f"/console/runs/run-guarded/approvals/{approval.approval_id}"
    origin = f"http://{site.host}"
    # A form on another site: the cookie may ride along, but no form token and a foreign Origin.
    assert site.request("POST", path, APPROVER, {"decision": "approve"}, {"Origin": origin}).status == 403
    forged = site.decide(APPROVER, "run-guarded", approval.approval_id, Origin="http://evil.example")
    assert forged.status == 403 and "another site" in forged.json()["message"]
    wrong = site.request("POST", path, APPROVER, {"decision": "approve"}, {CSRF_HEADER: "0" * 64, "Origin": origin})
    assert wrong.status == 403
    # Another person's form token does not work with this person's session.
    theirs = site.request(
        "POST", path, APPROVER, {"decision": "approve"}, {CSRF_HEADER: site.form_token(BYSTANDER), "Origin": origin}
    )
    assert theirs.status == 403
    assert site.request("POST", path, None, {"decision": "approve"}, {"Origin": origin}).status == 401
    refused = site.decide(BYSTANDER, "run-guarded", approval.approval_id)
    assert refused.status == 409
    assert refused.json() == {
        "applied": False,
        "message": f"refused: {BYSTANDER} is not an allowed approver for this incident",
    }
    # The approval's id under another run is not that run's approval.
    _run(store, "run-other", 9)
    assert site.decide(APPROVER, "run-other", approval.approval_id).status == 404
    assert store.approvals.get_approval(approval.approval_id).status == "pending"


def test_nobody_approves_their_own_request_from_the_console(site: Site) -> None:
    approval = _approval(site.app.store, "run-own", requested_by=APPROVER)
    refused = site.decide(APPROVER, "run-own", approval.approval_id)
    assert refused.status == 409 and "nobody may approve their own request" in refused.json()["message"]
    assert site.app.store.approvals.get_approval(approval.approval_id).status == "pending"


def test_an_expired_approval_cannot_be_decided(site: Site) -> None:
    store = site.app.store
    approval = _approval(store, "run-late", expires_at=int(datetime.now(UTC).timestamp()) - 5)
    page = site.request("GET", "/console/runs/run-late", APPROVER).body
    assert 'name="decision"' not in page and "expired" in page
    refused = site.decide(APPROVER, "run-late", approval.approval_id)
    assert refused.status == 409 and not refused.json()["applied"]
    assert store.approvals.get_approval(approval.approval_id).status == "pending"


def test_the_flow_page_shows_success_rate_mttr_and_node_durations(site: Site) -> None:
    store = site.app.store
    for index, (seconds, outcome) in enumerate(
        [(10, "resolved"), (20, "resolved"), (30, "resolved"), (40, "resolved"), (50, "escalated")]
    ):
        run = _run(store, f"run-{index}", index * 24 * 60)
        ended = datetime.fromisoformat(run.started_at.replace("Z", "+00:00")) + timedelta(seconds=seconds)
        store.runs.update_run(run.run_id, status="succeeded", outcome=outcome, ended_at=ended)
    page = site.request("GET", f"/console/flows/{FLOW}", APPROVER).body
    assert '<dd id="fig-runs">5</dd>' in page
    assert '<dd id="fig-success">80.0%</dd>' in page
    assert '<dd id="fig-p50">20.0s</dd>' in page and '<dd id="fig-p90">40.0s</dd>' in page
    assert page.count('<polyline class="series') == 2
    assert page.count('<rect class="bar"') == 5  # success rate on each of the five days
    assert site.request("GET", "/console/flows/no-such-flow", APPROVER).status == 404
