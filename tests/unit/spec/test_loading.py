"""Files, directories and multi-document YAML."""

from __future__ import annotations

import shutil

import pytest

from chalicelib.errors import SpecError
from chalicelib.spec import load_paths, load_resources

from .support import AGENTS_DIR, TUTORIAL_FLOW

AGENT = """\
apiVersion: aof.dev/v1
kind: Agent
metadata:
  name: {name}
spec:
  model: builtin:rules
  instructions: hi
"""


def test_multi_document_file_loads_every_resource(tmp_path):
    path = tmp_path / "all.yaml"
    path.write_text("---\n" + AGENT.format(name="one") + "---\n" + AGENT.format(name="two"), encoding="utf-8")

    resources = load_paths([path])

    assert resources.problems == []
    assert sorted(resources.agents) == ["one", "two"]
    assert resources.source("Agent", "two").line_of(("metadata", "name")) == 13


def test_multi_document_file_reports_lines_relative_to_the_file(tmp_path):
    path = tmp_path / "all.yaml"
    second = AGENT.format(name="two").replace("  instructions: hi", "  instruction: hi")
    path.write_text(AGENT.format(name="one") + "---\n" + second, encoding="utf-8")

    problems = load_paths([path]).problems

    assert f"{path}:15: spec.instruction: unknown field 'instruction' (did you mean 'instructions'?)" in problems


def test_directory_loads_yaml_and_yml(tmp_path):
    shutil.copy(AGENTS_DIR / "diagnostic-agent.yaml", tmp_path / "a.yaml")
    (tmp_path / "b.yml").write_text(AGENT.format(name="other"), encoding="utf-8")
    (tmp_path / "notes.txt").write_text("not yaml: [", encoding="utf-8")

    resources = load_paths([tmp_path])

    assert resources.problems == []
    assert sorted(resources.agents) == ["incident-diagnostic", "other"]


def test_same_agent_defined_twice_names_both_places(tmp_path):
    first = tmp_path / "first.yaml"
    second = tmp_path / "second.yaml"
    first.write_text(AGENT.format(name="dup"), encoding="utf-8")
    second.write_text("# the same agent again\n" + AGENT.format(name="dup"), encoding="utf-8")

    problems = load_paths([tmp_path]).problems

    assert problems == [f"{second}:5: metadata.name: Agent 'dup' is already defined in {first}:4"]


def test_same_agent_twice_in_one_file(tmp_path):
    path = tmp_path / "agents.yaml"
    path.write_text(AGENT.format(name="dup") + "---\n" + AGENT.format(name="dup"), encoding="utf-8")
    assert load_paths([path]).problems == [f"{path}:12: metadata.name: Agent 'dup' is already defined in {path}:4"]


def test_empty_directory_is_a_problem(tmp_path):
    assert load_paths([tmp_path]).problems == [f"{tmp_path}: directory has no *.yaml files"]


def test_missing_path_is_a_problem(tmp_path):
    missing = tmp_path / "nope.yaml"
    assert load_paths([missing]).problems == [f"{missing}: no such file or directory"]


def test_empty_file_is_reported(tmp_path):
    # Validating a file that holds no resource must not look like success.
    path = tmp_path / "empty.yaml"
    path.write_text("# nothing here yet\n", encoding="utf-8")

    resources = load_paths([path])

    assert resources.agents == {}
    assert resources.flows == {}
    assert [m for m in [*resources.problems, *resources.warnings] if m.startswith(f"{path}:1: ")] != []


def test_invalid_yaml_in_a_file_names_file_and_line(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("apiVersion: aof.dev/v1\nkind: Agent\nmetadata:\n  name: x\n   bad: y\n", encoding="utf-8")
    (problem,) = load_paths([path]).problems
    assert problem.startswith(f"{path}:5:7: invalid YAML: a 'key: value' where none can start")


def test_load_resources_raises_with_every_problem(tmp_path):
    path = tmp_path / "flow.yaml"
    text = TUTORIAL_FLOW.read_text(encoding="utf-8")
    text = text.replace("agent: incident-remediation\n        input: |", "agent: incident-remedation\n        input: |")
    text = text.replace('${diagnose.output.severity} == "critical"', '${diagnose.output.severty} == "critical"')
    path.write_text(text, encoding="utf-8")

    with pytest.raises(SpecError) as caught:
        load_resources([AGENTS_DIR, path])

    assert caught.value.problems == [
        f"{path}:74: spec.nodes[check-severity].config.conditions[0].expression: 'diagnose' has no output field "
        "'severty' (did you mean 'severity'?)",
        f"{path}:115: spec.nodes[remediate].config.agent: unknown agent 'incident-remedation' "
        "(did you mean 'incident-remediation'?)",
    ]
    assert str(caught.value) == "2 problem(s) in the specification"
