"""Reading what ``chalice deploy`` recorded in ``.chalice/deployed/<stage>.json``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..errors import ConfigurationError
from ..nodes.dispatch import PLACEHOLDER_FUNCTIONS


def read_deployed_functions(project_dir: str | Path, stage: str) -> dict[str, str]:
    """Function short name (``agent_node``) -> Lambda ARN, for every node function deployed."""
    path = Path(project_dir) / ".chalice" / "deployed" / f"{stage}.json"
    try:
        data: Any = json.loads(path.read_text())
    except FileNotFoundError:
        raise ConfigurationError(f"{path} not found: run `chalice deploy --stage {stage}` first") from None
    except ValueError as error:
        raise ConfigurationError(f"{path} is not valid JSON: {error}") from None
    arns = {
        str(item["name"]): str(item["lambda_arn"])
        for item in data.get("resources", [])
        if item.get("resource_type") == "lambda_function" and "lambda_arn" in item
    }
    missing = sorted(set(PLACEHOLDER_FUNCTIONS.values()) - set(arns))
    if missing:
        raise ConfigurationError(f"{path} lists no Lambda for {', '.join(missing)}: redeploy with `chalice deploy`")
    return arns


#: Chalice's own default when neither the stage nor the project sets ``lambda_timeout``.
CHALICE_DEFAULT_TIMEOUT = 60


def lambda_timeouts(project_dir: str | Path, stage: str) -> dict[str, int]:
    """Node function short name -> its timeout in seconds, as ``.chalice/config.json`` sets it
    for ``stage`` (function in the stage, then the stage, then the project, then Chalice's default)."""
    path = Path(project_dir) / ".chalice" / "config.json"
    try:
        config: dict[str, Any] = json.loads(path.read_text())
    except FileNotFoundError:
        config = {}
    except ValueError as error:
        raise ConfigurationError(f"{path} is not valid JSON: {error}") from None
    stage_config = (config.get("stages") or {}).get(stage) or {}
    found: dict[str, int] = {}
    for function in PLACEHOLDER_FUNCTIONS.values():
        for source in (
            ((stage_config.get("lambda_functions") or {}).get(function) or {}),
            stage_config,
            ((config.get("lambda_functions") or {}).get(function) or {}),
            config,
        ):
            if "lambda_timeout" in source:
                found[function] = int(source["lambda_timeout"])
                break
        else:
            found[function] = CHALICE_DEFAULT_TIMEOUT
    return found
