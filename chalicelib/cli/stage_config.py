"""What the project's ``.chalice/config.json`` says about one deployed stage."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .. import settings
from ..spec.approvers import approvers_from_env, unguarded_approvals
from ..spec.resources import Resources


def stage_settings(project_dir: Path, stage: str) -> dict[str, Any]:
    """The product's own settings of ``stage`` in ``.chalice/config.json`` (its ``aof`` object,
    over the project's): ``region``, ``state_machine_log_level``."""
    try:
        config: dict[str, Any] = json.loads((project_dir / ".chalice" / "config.json").read_text())
    except (FileNotFoundError, ValueError):
        return {}
    found = dict(config.get("aof") or {})
    found.update(((config.get("stages") or {}).get(stage) or {}).get("aof") or {})
    return found


def stage_environment(project_dir: Path, stage: str) -> dict[str, str]:
    """The environment ``.chalice/config.json`` gives the stage's Lambdas."""
    try:
        config: dict[str, Any] = json.loads((project_dir / ".chalice" / "config.json").read_text())
    except (FileNotFoundError, ValueError):
        config = {}
    variables = {str(k): str(v) for k, v in (config.get("environment_variables") or {}).items()}
    stage_vars = (config.get("stages") or {}).get(stage, {}).get("environment_variables") or {}
    variables.update({str(k): str(v) for k, v in stage_vars.items()})
    return variables


def stage_prefix(project_dir: Path, stage: str, env: Mapping[str, str] | None = None) -> str:
    """The stage's ``AOF_TABLE_PREFIX`` from ``.chalice/config.json`` (what the Lambdas get)."""
    found = stage_environment(project_dir, stage).get(settings.AOF_TABLE_PREFIX)
    return str(found) if found else settings.resolve(settings.AOF_TABLE_PREFIX, None, env, "aof") or "aof"


def unguarded_in_stage(resources: Resources, project_dir: Path, stage: str) -> list[str]:
    """Approval nodes anyone could approve once deployed (the stage's SLACK_APPROVERS counts)."""
    fallback = approvers_from_env(stage_environment(project_dir, stage))
    return [
        problem
        for name, flow in resources.flows.items()
        for problem in unguarded_approvals(flow, resources.source("AgentFlow", name), fallback)
    ]
