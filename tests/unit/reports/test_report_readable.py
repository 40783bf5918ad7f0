"""`aofctl report` reads as prose: no Python dict text, the snapshot under the change it was
taken for, long titles wrapped whole in the HTML page, and --html into a new directory."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from chalicelib.reports.html import postmortem_html
from chalicelib.reports.timeline import TimelineEntry, build_timeline
from chalicelib.store import open_store
from tests.support.recorded import RecordedIncidents

Aofctl = Callable[..., tuple[int, str]]


def test_every_line_of_the_report_is_words_not_python(aofctl: Aofctl, incidents: RecordedIncidents) -> None:
    for incident in incidents.incidents:
        code, text = aofctl("report", incident.run_id)
        assert code == 0
        assert not re.search(r"\{'|': |\['|\bTrue\}|\bFalse\}", text), [
            line for line in text.splitlines() if re.search(r"\{'|\['", line)
        ]


def test_a_change_with_a_snapshot_event_does_not_say_none_recorded(
    aofctl: Aofctl, incidents: RecordedIncidents
) -> None:
    _, text = aofctl("report", incidents.by_scenario("crashloop-bad-config").run_id)
    snapshot = re.search(
        r"Snapshot taken `remediate`\n  - snapshot of the object before `([^`]+)`: saved as (\S+)", text
    )
    assert snapshot, text
    assert "snapshot: none recorded" not in text
    assert f"snapshot taken before the change: {snapshot[2]}" in text
    assert "Allowed by policy `remediate`" in text and "Change watched `remediate`" in text


def _labels(page: str) -> list[str]:
    svg = page.split('<svg id="timeline"', 1)[1].split("</svg>", 1)[0]
    labels = re.findall(r"<text y=[^>]*>(.*?)</text>", svg)
    return [" ".join(html.unescape(s) for s in re.findall(r"<tspan[^>]*>(.*?)</tspan>", label)) for label in labels]


def test_html_shows_every_title_whole_and_makes_its_directory(
    aofctl: Aofctl, incidents: RecordedIncidents, tmp_path: Path
) -> None:
    incident = incidents.by_scenario("statefulset-disk-full")
    page = tmp_path / "not" / "yet" / "report.html"
    code, markdown = aofctl("report", incident.run_id, "--html", str(page))
    assert code == 0 and page.exists()
    titles = re.findall(r"^- \*\*\S+\*\* \S+ (.+?)(?: `[^`]+`)?$", markdown, re.MULTILINE)
    assert titles and titles == _labels(page.read_text())


def test_a_long_title_is_wrapped_onto_lines_not_cut(incidents: RecordedIncidents) -> None:
    run_id = incidents.by_scenario("crashloop-bad-config").run_id
    with open_store(f"sqlite:///{incidents.state_dir / 'aof.db'}") as store:
        run, events = store.runs.get_run(run_id), store.runs.events(run_id)
    assert run is not None
    timeline = build_timeline(run, events)
    long = "Failure: remediate: " + " ".join(f"step{i} could not reach deployment/payment-gateway" for i in range(6))
    timeline.append(TimelineEntry(timeline[-1].at, "failure", long, "remediate"))
    page = postmortem_html(run, timeline, None, set(), None, None)
    assert _labels(page)[-1] == long
    assert page.split('<svg id="timeline"', 1)[1].split("</svg>")[0].count("<tspan") > len(timeline)


def test_html_into_a_path_under_a_file_says_why_without_a_traceback(
    aofctl: Aofctl, incidents: RecordedIncidents, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "file").write_text("")
    code, _ = aofctl("report", incidents.incidents[0].run_id, "--html", str(tmp_path / "file" / "r.html"))
    err = capsys.readouterr().err
    assert code == 1
    assert (
        err == f"error: cannot write {tmp_path / 'file' / 'r.html'}: {tmp_path / 'file'} is a file, not a directory\n"
    )
