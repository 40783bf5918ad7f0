"""Which credentials a deployed stage needs, and which of them its functions lack.

A deployed stage never prints instead of sending (see :class:`chalicelib.errors.MissingCredential`),
so a missing token must be found before the first incident: ``aofctl apply`` warns and
``aofctl doctor --stage S`` fails on the same findings. What is needed follows from the flows
(Slack and approval nodes, HTTP calls to PagerDuty, the PagerDuty webhook trigger); what is
set comes from the deployed functions' own configuration when it can be read, otherwise from
``.chalice/config.json``. A variable counts as set when its value is there or when the stage names
where it is stored (``NAME_SSM_PARAMETER``, ``NAME_SECRET_ID``, see :mod:`chalicelib.secrets`).
Values are only tested for presence, never printed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ConfigurationError
from ..secrets import reference
from ..settings import (
    PAGERDUTY_API_KEY,
    PAGERDUTY_WEBHOOK_SECRET,
    PAGERDUTY_WEBHOOK_TOKEN,
    SLACK_BOT_TOKEN,
    SLACK_SIGNING_SECRET,
)
from ..spec import Resources
from ..spec.flow import ScheduleTrigger
from ..spec.nodes import HTTPNode, SlackNode, is_approval

# Imported when the check runs: the deployed functions (12 ms) and botocore's errors (3 ms).

#: Chalice's name for the function behind the HTTP routes.
API_HANDLER = "api_handler"
DAILY_FUNCTION = "post_incident_daily"
PAGERDUTY_HOST = "api.pagerduty.com"


@dataclass(frozen=True)
class Need:
    """One of ``variables`` must be set for ``function``; ``why`` names the flow and nodes."""

    function: str
    variables: tuple[str, ...]
    why: str


def needs(resources: Resources) -> list[Need]:
    found: list[Need] = []
    for name in sorted(resources.flows):
        spec = resources.flows[name].spec
        slack = [n.id for n in spec.nodes if isinstance(n, SlackNode) or is_approval(n)]
        approvals = [n.id for n in spec.nodes if is_approval(n)]
        pagerduty = [n.id for n in spec.nodes if isinstance(n, HTTPNode) and PAGERDUTY_HOST in str(n.config.url)]
        if slack:
            for function in ("slack_node", "approval_node") if approvals else ("slack_node",):
                found.append(Need(function, (SLACK_BOT_TOKEN,), f"flow {name} posts to Slack ({', '.join(slack)})"))
        if approvals:
            found.append(
                Need(API_HANDLER, (SLACK_SIGNING_SECRET,), f"flow {name} takes approvals ({', '.join(approvals)})")
            )
        if pagerduty:
            found.append(
                Need("http_node", (PAGERDUTY_API_KEY,), f"flow {name} calls PagerDuty ({', '.join(pagerduty)})")
            )
        path = getattr(spec.trigger.config, "path", None)
        if path:
            found.append(
                Need(
                    API_HANDLER,
                    (PAGERDUTY_WEBHOOK_SECRET, PAGERDUTY_WEBHOOK_TOKEN),
                    f"flow {name} is started by the webhook {path}",
                )
            )
        if isinstance(spec.trigger, ScheduleTrigger) and slack:
            # The tutorial's daily report runs in the scheduled function, which posts itself.
            found.append(Need(DAILY_FUNCTION, (SLACK_BOT_TOKEN,), f"flow {name} posts its report to Slack"))
    if found:
        # A failed run is reported in Slack by the lifecycle function, whatever the flow.
        found.append(Need("lifecycle", (SLACK_BOT_TOKEN,), "a failed or timed-out run is reported in Slack"))
    return _merged(found)


def _merged(found: list[Need]) -> list[Need]:
    """One need per function and variables, every reason kept."""
    merged: dict[tuple[str, tuple[str, ...]], list[str]] = {}
    for need in found:
        merged.setdefault((need.function, need.variables), []).append(need.why)
    return [Need(function, variables, "; ".join(whys)) for (function, variables), whys in merged.items()]


def configured_environments(project_dir: str | Path, stage: str) -> dict[str, dict[str, str]]:
    """Function -> environment as ``.chalice/config.json`` gives it (global, stage, function)."""
    path = Path(project_dir) / ".chalice" / "config.json"
    config: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {}
    base = dict(config.get("environment_variables") or {})
    stage_config = (config.get("stages") or {}).get(stage) or {}
    base.update(stage_config.get("environment_variables") or {})
    functions = {**(config.get("lambda_functions") or {}), **(stage_config.get("lambda_functions") or {})}
    names = {API_HANDLER, DAILY_FUNCTION, "slack_node", "approval_node", "http_node", "lifecycle", *functions}
    return {
        name: {**base, **((functions.get(name) or {}).get("environment_variables") or {})} for name in sorted(names)
    }


def deployed_environments(functions: Mapping[str, str], lambda_client: Any) -> dict[str, dict[str, str]]:
    """Function -> the environment its deployed configuration holds (``GetFunctionConfiguration``)."""
    found: dict[str, dict[str, str]] = {}
    for name, arn in functions.items():
        configuration = lambda_client.get_function_configuration(FunctionName=arn)
        found[name] = dict((configuration.get("Environment") or {}).get("Variables") or {})
    return found


def missing(found_needs: list[Need], environments: Mapping[str, Mapping[str, str]]) -> list[str]:
    """One line per unmet need; a function nobody deployed is reported too."""
    lines: list[str] = []
    for need in found_needs:
        env = environments.get(need.function)
        wanted = " or ".join(need.variables)
        if env is None:
            lines.append(f"{need.function}: not deployed, but {need.why}")
        elif not any(env.get(v) or reference(v, env) for v in need.variables):
            lines.append(f"{need.function}: {wanted} is not set; {need.why}")
    return lines


def findings(
    resources: Resources, project_dir: str | Path, stage: str, lambda_client: Any | None
) -> tuple[str, list[str]]:
    """(where the environments were read, one line per missing credential) for ``stage``."""
    from .deployed import read_deployed_functions

    found_needs = needs(resources)
    if lambda_client is not None:
        try:
            functions = read_deployed_functions(project_dir, stage)
        except ConfigurationError:
            functions = {}
        if functions:
            from botocore.exceptions import BotoCoreError, ClientError

            try:
                return "the deployed functions", missing(found_needs, deployed_environments(functions, lambda_client))
            except (BotoCoreError, ClientError) as error:
                source = f".chalice/config.json (the deployed functions could not be read: {type(error).__name__})"
                return source, missing(found_needs, configured_environments(project_dir, stage))
    return ".chalice/config.json", missing(found_needs, configured_environments(project_dir, stage))
