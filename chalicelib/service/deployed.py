"""The composition root of a deployed stage: Step Functions, DynamoDB, Slack, PagerDuty, EMF metrics.

Everything is built on first use, so each Lambda pays only for what it touches (the webhook never
builds a Slack client unless a storm needs announcing). The state machine of each flow comes from
the flow registry ``aofctl apply`` writes to the SSM parameter ``/<prefix>/flows``;
``AOF_STATE_MACHINE_ARNS`` (JSON, flow -> ARN) overrides it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from functools import cached_property
from typing import TYPE_CHECKING, Any

from .. import settings
from ..deploy.registry import read_registry, state_machine_arns
from ..errors import ConfigurationError
from ..nodes.notify import make_notifier
from ..runtime.stepfunctions import StepFunctionsRuntime, require_arns
from ..store import open_store
from .run_ports import EmfMetrics, FlowTable, pager_from_env
from .runs import RunService

if TYPE_CHECKING:
    from ..deploy.registry import FlowEntry
    from ..nodes.deps import NodeDeps
    from ..nodes.notify import Notifier
    from ..runtime.base import Runtime
    from ..spec.models import AgentResource
    from ..store import Store

# Imported where used, so that the webhook route does not pay for the rest: boto3 (130 ms) when
# a client is first built, the daily report (140 ms), the node dependencies (7 ms).


class DeployedStage:
    def __init__(self, env: Mapping[str, str]) -> None:
        self.env = env

    def _client(self, service: str) -> Any:
        import boto3  # the deployed stage only; the embedded default never pays for it

        region = self.env.get("AWS_REGION") or self.env.get("AWS_DEFAULT_REGION")
        return boto3.client(service, region_name=region)

    @property
    def prefix(self) -> str:
        return settings.resolve(settings.AOF_TABLE_PREFIX, None, self.env, "aof") or "aof"

    @cached_property
    def flows(self) -> dict[str, FlowEntry]:
        return read_registry(self._client("ssm"), self.prefix)

    @cached_property
    def store(self) -> Store:
        return open_store(f"dynamodb://{self.prefix}", dynamodb_client=self._client("dynamodb"))

    @cached_property
    def runtime(self) -> Runtime:
        explicit = self.env.get("AOF_STATE_MACHINE_ARNS")
        if explicit:
            arns: dict[str, str] = json.loads(explicit)
        else:
            arns = state_machine_arns(self.flows)
        return StepFunctionsRuntime(self._client("stepfunctions"), require_arns(arns))

    @cached_property
    def notifier(self) -> Notifier:
        return make_notifier(self.env, self.store)

    @cached_property
    def service(self) -> RunService:
        flows = self.flows
        catalog = FlowTable(
            {entry.trigger_path: name for name, entry in flows.items() if entry.trigger_path},
            {name: entry.rate_limit for name, entry in flows.items()},
        )
        return RunService(
            runtime=self.runtime,
            store=self.store,
            notifier=_OnFirstPost(lambda: self.notifier),
            pager=pager_from_env(self.env),
            metrics=EmfMetrics(),
            flows=catalog,
        )

    @cached_property
    def node_deps(self) -> NodeDeps:
        from chalicelib.nodes.deps import deps_from_env

        deps = deps_from_env(self.store, self.env)
        deps.send_task_success = self.runtime.send_task_success
        return deps

    def daily_analysis_settings(self, yaml_paths: list[str]) -> tuple[AgentResource, str]:
        """From the applied post-incident-daily state machine (a Lambda package carries no YAML),
        else from the project's YAML at ``yaml_paths``."""
        from ..reports.daily import DAILY_FLOW, daily_from_definition

        entry = self.flows.get(DAILY_FLOW)
        if entry is None:
            return daily_from_yaml(yaml_paths)
        described = self._client("stepfunctions").describe_state_machine(stateMachineArn=entry.state_machine_arn)
        return daily_from_definition(json.loads(described["definition"]))


def daily_from_yaml(yaml_paths: list[str]) -> tuple[AgentResource, str]:
    from ..reports.daily import DAILY_FLOW, load_daily

    missing = [p for p in yaml_paths if not os.path.isdir(p)]
    if missing:
        raise ConfigurationError(f"no {DAILY_FLOW} flow applied (aofctl apply) and no YAML at {', '.join(missing)}")
    return load_daily(yaml_paths)


class _OnFirstPost:
    """The notifier, built when the first message is sent (the webhook Lambda rarely sends one)."""

    def __init__(self, build: Any) -> None:
        self._build = build

    def post(self, incident_id: str, channel: str, text: str, blocks: list[dict[str, Any]] | None) -> tuple[str, str]:
        result: tuple[str, str] = self._build().post(incident_id, channel, text, blocks)
        return result

    def update(self, channel: str, ts: str, text: str, blocks: list[dict[str, Any]] | None) -> None:
        self._build().update(channel, ts, text, blocks)
