"""The compiled definition is reviewed as a file, and every definition passes statelint.

The test only compares: ``make golden`` (``python -m tests.unit.compiler.test_golden``) is the one
way the reviewed file is rewritten, so a change to it shows in the diff a reviewer reads.
"""

import json
import sys
from pathlib import Path

import pytest
from statelint.config import Config
from statelint.linter import Linter

from chalicelib.compiler import compile_flow
from chalicelib.spec import load_resources, load_text

GOLDEN = Path(__file__).resolve().with_name("golden") / "incident-auto-response.asl.json"


def lint(definition: dict) -> list[str]:
    return [str(p) for p in Linter.validate(definition, Config())]


def compiled_tutorial() -> str:
    """The tutorial flow's definition as the reviewed file holds it (paths from the repository root)."""
    resources = load_resources(["agents", "flows"])
    compiled = compile_flow(resources.flows["incident-auto-response"], resources.agents)
    return json.dumps(compiled, indent=2, ensure_ascii=False) + "\n"


def test_tutorial_flow_compiles_to_the_reviewed_definition():
    assert compiled_tutorial() == GOLDEN.read_text(encoding="utf-8"), (
        "the compiled tutorial flow changed; review the difference and run `make golden` to accept it"
    )


@pytest.mark.parametrize("paths", [["agents", "flows"], ["agents", "examples/production"]])
def test_every_shipped_flow_passes_statelint(paths):
    resources = load_resources(paths)
    assert resources.flows
    for name, flow in resources.flows.items():
        assert lint(compile_flow(flow, resources.agents)) == [], name


def test_synthetic_flows_pass_statelint():
    from tests.support.synthetic_flows import FLOWS

    agents = load_resources(["agents"]).agents
    for name, text in FLOWS.items():
        resources = load_text(text, f"{name}.yaml")
        assert not resources.problems, resources.problems
        flow = next(iter(resources.flows.values()))
        assert lint(compile_flow(flow, agents)) == [], name


def test_secrets_stay_references_in_the_definition(monkeypatch):
    monkeypatch.setenv("PAGERDUTY_API_KEY", "pd-secret-value-123")
    resources = load_resources(["agents", "flows"])
    text = json.dumps(compile_flow(resources.flows["incident-auto-response"], resources.agents))
    assert "pd-secret-value-123" not in text
    assert "Token token=${PAGERDUTY_API_KEY}" in text


if __name__ == "__main__":  # `make golden`, from the repository root
    GOLDEN.write_text(compiled_tutorial(), encoding="utf-8")
    print(f"rewrote {GOLDEN.relative_to(Path.cwd())}", file=sys.stderr)
