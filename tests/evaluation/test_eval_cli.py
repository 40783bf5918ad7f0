"""``aofctl eval`` end to end: fresh sandboxes, the offline model and the baseline, every output form."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from chalicelib.cli.main import main
from sandbox.scenarios import SCENARIO_DIR

RESULT_KEYS = {"scenario", "model", "severity_ok", "root_cause_ok", "action_ok", "healed", "harmful", "seconds"}


@pytest.fixture
def scenarios(tmp_path: Path) -> Path:
    folder = tmp_path / "incidents"
    folder.mkdir()
    (folder / "false-alarm.yaml").write_text((SCENARIO_DIR / "false-alarm.yaml").read_text())
    return folder


def test_json_scores_the_model_and_the_baseline_with_a_progress_line_each(scenarios, capsys):
    assert main(["eval", "--scenarios", str(scenarios), "--baseline", "-o", "json"]) == 0
    out, err = capsys.readouterr()
    doc = json.loads(out)
    assert set(doc["summary"]) >= {"scenarios", "diagnosed", "healed", "harmful", "score"}
    rows = {r["model"]: r for r in doc["results"]}
    assert all(RESULT_KEYS <= set(r) for r in doc["results"])
    assert rows["builtin:triage"]["action_ok"] and rows["builtin:triage"]["harmful"] == 0
    # The naive policy restarts a healthy service: wrong, and a change where none was due.
    assert not rows["baseline"]["action_ok"] and rows["baseline"]["harmful"] == 1
    assert doc["summary"] == {**doc["models"]["builtin:triage"]}
    assert [line.split(" ")[0] for line in err.splitlines() if line.startswith("[")] == ["[1/2]", "[2/2]"]


def test_a_missed_min_score_exits_1_and_escalate_is_not_no_action(scenarios, capsys):
    text = (scenarios / "false-alarm.yaml").read_text()
    # The same cluster, but the incident's owner says a human must look: "no action" is now wrong.
    (scenarios / "false-alarm.yaml").write_text(text.replace("outcome: no_action", "outcome: escalate"))
    assert main(["eval", "--scenarios", str(scenarios), "--min-score", "0.5", "-o", "junit"]) == 1
    out, err = capsys.readouterr()
    suite = ET.fromstring(out).find("testsuite")
    assert suite is not None and suite.get("failures") == "1"
    assert "below --min-score 0.5" in err


def test_a_malformed_scenario_is_named_with_its_line(scenarios, capsys):
    (scenarios / "broken.yaml").write_text(
        "name: broken\nincident: {event: {incident: {id: X, title: t, service: {name: a}, urgency: high,\n"
        "  html_url: u, custom_details: {}}}}\nexpected:\n  severity: high\n  acton: null\nworkloads: []\n"
    )
    assert main(["eval", "--scenarios", str(scenarios)]) == 2
    err = capsys.readouterr().err
    assert f"{scenarios / 'broken.yaml'}:6: expected: unknown field 'acton'; did you mean 'action'?" in err


def test_a_min_score_given_as_a_percentage_is_refused_before_anything_runs(scenarios, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["eval", "--scenarios", str(scenarios), "--min-score", "80"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "not between 0 and 1" in err and "[1/" not in err
