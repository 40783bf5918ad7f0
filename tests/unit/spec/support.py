"""Shared helpers for the spec tests: load YAML text as a user's file would be loaded."""

from __future__ import annotations

from pathlib import Path

from chalicelib.spec import load_paths, load_text, validate_resources

ROOT = Path(__file__).resolve().parents[3]
AGENTS_DIR = ROOT / "agents"
FLOWS_DIR = ROOT / "flows"
TUTORIAL_FLOW = FLOWS_DIR / "incident-response-flow.yaml"
TUTORIAL_FILES = [
    AGENTS_DIR / "diagnostic-agent.yaml",
    AGENTS_DIR / "remediation-agent.yaml",
    AGENTS_DIR / "post-incident-agent.yaml",
    TUTORIAL_FLOW,
]

#: A flow whose first node (``a``, exporting ``X``) ends on line 12; added nodes start on line 13.
FLOW_HEAD = """\
apiVersion: aof.dev/v1
kind: AgentFlow
metadata:
  name: t
spec:
  trigger:
    type: Manual
  nodes:
    - id: a
      type: Transform
      config:
        script: export X="1"
"""


def check(text: str, file: str = "flow.yaml") -> tuple[list[str], list[str]]:
    """Problems and warnings for ``text``, validated against the tutorial's agents."""
    resources = load_text(text, file)
    problems = list(resources.problems)
    if not problems:
        agents = load_paths([AGENTS_DIR])
        assert not agents.problems, agents.problems
        resources.agents = {**agents.agents, **resources.agents}
        problems = validate_resources(resources)
    return problems, resources.warnings


def problems_of(text: str, file: str = "flow.yaml") -> list[str]:
    return check(text, file)[0]
