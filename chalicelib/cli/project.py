"""The project's Agent and AgentFlow YAML, loaded and checked the way every command reads it."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from ..settings import AOF_AGENTS_DIR, AOF_FLOWS_DIR
from ..spec.loader import load_paths
from ..spec.resources import Resources
from ..spec.validate import unpinned_mcp_warnings, validate_resources


def default_paths() -> list[str]:
    """The project's own ``agents/`` and ``flows/`` (overridable by environment)."""
    return [os.environ.get(AOF_AGENTS_DIR, "agents"), os.environ.get(AOF_FLOWS_DIR, "flows")]


def load_checked(paths: list[str]) -> Resources:
    """Everything in ``paths``, with every problem and warning collected (nothing raised)."""
    resources = load_paths(paths)
    resources.problems.extend(validate_resources(resources))
    resources.warnings.extend(unpinned_mcp_warnings(resources))
    return resources


def load_project_resources(files: list[str], project_dir: Path) -> Resources | None:
    """The YAML given, with the project's agents; problems printed (None when there are any)."""
    paths = list(files)
    agents = project_dir / "agents"
    given = [Path(p).resolve() for p in paths]
    # Flows name agents; `apply -f flows/` should find the project's agents like the tutorial does.
    if agents.is_dir() and not any(agents.resolve() == g or agents.resolve().is_relative_to(g) for g in given):
        if not any(g.is_relative_to(agents.resolve()) for g in given):
            paths.insert(0, str(agents))
    resources = load_checked(paths)
    for warning in resources.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    for problem in resources.problems:
        print(problem, file=sys.stderr)
    return None if resources.problems else resources
