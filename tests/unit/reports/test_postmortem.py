"""Postmortems built from the audit trail of real sandbox incidents, and the HTML page drawn
by a real browser."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

from chalicelib.store import open_store
from tests.support.recorded import APPROVER, SECRETS, RecordedIncidents

Aofctl = Callable[..., tuple[int, str]]
ENTRY = re.compile(r"^- \*\*(?P<at>[^*]+)\*\* \S+ (?P<title>.*)$")


def _timeline(markdown: str) -> list[tuple[str, str]]:
    return [(m["at"], m["title"]) for line in markdown.splitlines() if (m := ENTRY.match(line))]


def test_timeline_follows_the_recorded_events(aofctl: Aofctl, incidents: RecordedIncidents) -> None:
    with open_store(f"sqlite:///{incidents.state_dir / 'aof.db'}") as store:
        for incident in incidents.incidents:
            events = store.runs.events(incident.run_id)
            code, markdown = aofctl("report", incident.run_id)
            assert code == 0
            entries = _timeline(markdown)
            assert [at for at, _ in entries] == [e.at for e in events], incident.scenario
            assert entries[0][1].startswith(f"Alert: {incident.incident_id}")
            label = "Resolved automatically" if incident.outcome == "resolved" else "Escalated to a human"
            assert entries[-1][1] == label
            approvals = [e for e in events if e.type == "ApprovalDecided"]
            for approval in approvals:
                assert (approval.at, f"Approval: {incident.decision} by {APPROVER} `request-approval`") in entries


def test_each_change_is_reported_with_its_result(aofctl: Aofctl, incidents: RecordedIncidents) -> None:
    _, crashloop = aofctl("report", incidents.by_scenario("crashloop-bad-config").run_id)
    assert "change: `kubectl rollout undo deployment/payment-gateway -n payments` applied" in crashloop
    assert "Verification by incident-diagnostic" in crashloop
    assert "incident resolved in PagerDuty by close-pagerduty" in crashloop
    disk_run = incidents.by_scenario("statefulset-disk-full").run_id
    _, disk = aofctl("report", disk_run)
    with open_store(f"sqlite:///{incidents.state_dir / 'aof.db'}") as store:
        (rollback,) = [e for e in store.runs.events(disk_run) if e.node_id == "rollback"]
    done = rollback.details["output"]
    assert f"Rollback by incident-remediation: {done['action_taken']} -> {done['result']} `rollback`" in disk
    assert "root cause: Disk full on statefulset/kafka" in disk
    assert "evidence: `kubectl logs kafka-0 -n streaming --tail 200" in disk
    _, skipped = aofctl("report", incidents.by_scenario("unschedulable-pods").run_id)
    assert "Approval: skip by" in skipped and "Change by" not in skipped


def test_narrative_comes_from_the_post_incident_analyzer(aofctl: Aofctl, incidents: RecordedIncidents) -> None:
    incident = incidents.by_scenario("test001-high-memory")
    code, markdown = aofctl("report", incident.run_id, "--narrative")
    assert code == 0
    narrative = markdown.split("## Analysis (post-incident-analyzer)", 1)[1]
    assert "1 incident(s) analysed; 1 auto-resolved." in narrative
    assert "| TEST001 | kubectl rollout restart deployment/api -n production | success |" in narrative


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    assert found, "chromium is not installed: apt-get update && apt-get install -y chromium"
    return found


def _browser(tmp_path: Path, *extra: str) -> list[str]:
    return [
        _chromium(),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}",
        *extra,
    ]


def test_html_report_renders_offline_in_chromium(aofctl: Aofctl, incidents: RecordedIncidents, tmp_path: Path) -> None:
    incident = incidents.by_scenario("statefulset-disk-full")
    page = tmp_path / "report.html"
    code, markdown = aofctl("report", incident.run_id, "--html", str(page))
    assert code == 0
    html = page.read_text()
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "") and "https://" not in html
    for value in SECRETS.values():
        assert value not in html
    shot = tmp_path / "report.png"
    subprocess.run(
        _browser(tmp_path, f"--screenshot={shot}", "--window-size=1280,2400", page.as_uri()),
        check=True,
        capture_output=True,
        timeout=90,
    )
    assert shot.stat().st_size > 20_000
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    dom = subprocess.run(
        _browser(tmp_path, "--dump-dom", page.as_uri()), check=True, capture_output=True, text=True, timeout=90
    ).stdout
    entries = len(_timeline(markdown))
    assert '<svg id="timeline"' in dom and dom.count('<circle class="tl-') == entries
    taken = set(re.findall(r'<g class="node taken" data-node="([^"]+)"', dom))
    skipped = set(re.findall(r'<g class="node skipped" data-node="([^"]+)"', dom))
    assert {"diagnose", "request-approval", "remediate", "rollback", "escalate"} <= taken
    assert {"auto-approve", "notify-success", "close-pagerduty"} <= skipped
