"""A malformed scenario is reported as file:line: message; every shipped scenario still loads."""

from __future__ import annotations

from pathlib import Path

import pytest

from sandbox.scenarios import SCENARIO_DIR, ScenarioError, list_scenarios, load_scenario, load_scenarios

GOOD = (SCENARIO_DIR / "false-alarm.yaml").read_text()


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "incident.yaml"
    path.write_text(text)
    return path


def _line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def test_a_bad_profile_status_names_its_line(tmp_path):
    text = GOOD.replace("    usage: {cpu: 210m, memory: 420Mi}", "    status: Exploding\n    usage: {cpu: 210m}", 1)
    path = _write(tmp_path, text)
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    assert str(err.value).startswith(f"{path}:{_line_of(text, 'status: Exploding')}: profile healthy: status must be")


def test_an_unknown_workload_field_is_named_with_a_suggestion(tmp_path):
    text = GOOD.replace("    replicas: 4\n", "    replicsa: 4\n", 1)
    path = _write(tmp_path, text)
    with pytest.raises(ScenarioError, match=rf"^{path}:{_line_of(text, 'replicsa')}: .*'replicsa'; did you mean 'replicas'"):
        load_scenario(path)


def test_broken_yaml_names_its_line(tmp_path):
    path = _write(tmp_path, "name: x\nexpected: {severity: high\nworkloads: []\n")
    with pytest.raises(ScenarioError, match=rf"^{path}:\d+: not valid YAML"):
        load_scenario(path)


def test_every_shipped_scenario_loads_unchanged():
    assert [s.name for s in load_scenarios([])] == list_scenarios()
