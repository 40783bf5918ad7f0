"""A problem inside a `|` block is reported on its own line, not on the line of the block's key."""

from __future__ import annotations

from pathlib import Path

from chalicelib.spec.loader import load_paths
from chalicelib.spec.validate import validate_resources

ROOT = Path(__file__).resolve().parents[3]


def problems_after(tmp_path: Path, *edits: tuple[str, str]) -> tuple[list[str], list[str]]:
    text = (ROOT / "flows" / "incident-response-flow.yaml").read_text()
    for old, new in edits:
        assert old in text
        text = text.replace(old, new)
    flow = tmp_path / "flow.yaml"
    flow.write_text(text)
    resources = load_paths([ROOT / "agents", flow])
    return [*resources.problems, *validate_resources(resources)], text.splitlines()


def test_a_bad_reference_in_an_agent_input_block_names_its_line(tmp_path: Path) -> None:
    bad = "Check if the problem is fixed ${remediate.output.}."
    problems, lines = problems_after(tmp_path, ("Check if the problem is fixed.", bad))
    (problem,) = [p for p in problems if "malformed reference" in p]
    line = int(problem.split(":")[1])
    assert bad in lines[line - 1]


def test_a_typo_in_a_transform_script_block_names_its_line(tmp_path: Path) -> None:
    problems, lines = problems_after(
        tmp_path, ('"result": "${remediate.output.result}"', '"result": "${remediate.outptu.result}"')
    )
    (problem,) = [p for p in problems if "outptu" in p]
    assert "(did you mean 'output'?)" in problem
    line = int(problem.split(":")[1])
    assert "${remediate.outptu.result}" in lines[line - 1]
