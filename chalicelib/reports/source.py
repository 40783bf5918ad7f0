"""Where the views read from: the run store plus the runtime's execution history, on the
embedded default (SQLite + the local engine's database) or in the cloud (DynamoDB + Step
Functions) when ``AOF_BACKEND=aws``."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, NoReturn

from chalicelib.engine.invoker import FunctionInvoker

from .. import settings
from ..runtime.base import Runtime
from ..runtime.stepfunctions import StepFunctionsRuntime
from ..store import RunEvent, RunRecord, Store, open_store

# Each backend is imported when it is opened: the embedded engine and runtime (25 and 37 ms),
# boto3 (130 ms).

AWS_REGION = "AWS_REGION"
AWS_DEFAULT_REGION = "AWS_DEFAULT_REGION"


def _refuse(function: str, payload: dict[str, Any]) -> NoReturn:
    # Views only read the engine's history; they never execute a task.
    raise RuntimeError("the views open the engine read-only")


@dataclass
class ViewSource:
    store: Store
    runtime: Runtime | None
    backend: str
    region: str = "local"

    def close(self) -> None:
        self.store.close()

    def console_url(self, run: RunRecord) -> str | None:
        """A link to the execution in the Step Functions console (cloud only)."""
        if self.backend != "aws" or not run.execution_arn:
            return None
        region = run.execution_arn.split(":")[3] or self.region
        return f"https://{region}.console.aws.amazon.com/states/home?region={region}#/v2/executions/details/{run.execution_arn}"

    def history(self, run: RunRecord) -> list[dict[str, Any]]:
        """The execution's events in Step Functions' shape, or [] when the runtime has none."""
        if self.runtime is None or not run.execution_arn:
            return []
        try:
            return self.runtime.history(run.execution_arn)
        except Exception:  # an execution past Step Functions' retention, or a missing engine row
            return []

    def node_records(self, run: RunRecord) -> dict[str, Any]:
        """``nodes`` of the execution's output (or latest state): status/output/meta per node."""
        if self.runtime is None or not run.execution_arn:
            return {}
        try:
            description = self.runtime.describe(run.execution_arn)
        except Exception:
            return {}
        nodes = (description.output or {}).get("nodes") if isinstance(description.output, dict) else None
        return dict(nodes) if isinstance(nodes, dict) else {}

    def runs(self, flow: str | None = None, since: datetime | None = None, limit: int = 1000) -> list[RunRecord]:
        return self.store.runs.list_runs(flow, since, limit)

    def events(self, run_id: str) -> list[RunEvent]:
        return self.store.runs.events(run_id)


def open_views(
    state_dir: str | Path | None = None,
    env: Mapping[str, str] | None = None,
    *,
    dynamodb_client: Any = None,
    stepfunctions_client: Any = None,
) -> ViewSource:
    """The embedded default (``state_dir``, else ``AOF_STATE_DIR``/XDG), or the cloud."""
    backend = settings.resolve(settings.AOF_BACKEND, None, env, "local")
    if backend == "aws":
        return _open_aws(env, dynamodb_client, stepfunctions_client)
    from chalicelib.engine.engine import Engine

    from ..runtime.local import LocalRuntime

    base = Path(state_dir) if state_dir else settings.state_dir(env)
    base.mkdir(parents=True, exist_ok=True)
    store = open_store(f"sqlite:///{(base / 'aof.db').resolve()}")
    engine = Engine(base / "engine.db", FunctionInvoker(_refuse), max_workers=1, env=env)
    return ViewSource(store=store, runtime=LocalRuntime(engine), backend="local")


def _open_aws(env: Mapping[str, str] | None, dynamodb: Any, sfn: Any) -> ViewSource:
    prefix = settings.resolve(settings.AOF_TABLE_PREFIX, None, env, "aof")
    region = settings.resolve(AWS_REGION, None, env) or settings.resolve(AWS_DEFAULT_REGION, None, env, "us-east-1")
    if dynamodb is None or sfn is None:
        import boto3

        dynamodb = dynamodb or boto3.client("dynamodb", region_name=region)
        sfn = sfn or boto3.client("stepfunctions", region_name=region)
    store = open_store(f"dynamodb://{prefix}", dynamodb_client=dynamodb)
    # describe/history take execution ARNs, so no flow -> ARN map is needed here.
    runtime = StepFunctionsRuntime(sfn, {})
    return ViewSource(store=store, runtime=runtime, backend="aws", region=str(region))


def history_json(value: str | None) -> Any:
    """Step Functions puts JSON documents in strings; a view wants the value."""
    if not value:
        return None
    try:
        return json.loads(value)
    except (TypeError, ValueError):
        return value
