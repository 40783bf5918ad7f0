"""Choosing the backend from configuration (``AOF_BACKEND=local|aws``)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chalicelib import settings
from chalicelib.engine.engine import Engine
from chalicelib.errors import ConfigurationError

from .base import Runtime
from .local import LocalRuntime
from .stepfunctions import StepFunctionsRuntime, require_arns

if TYPE_CHECKING:
    from chalicelib.engine.invoker import TaskInvoker

# boto3 (130 ms) is imported only when the cloud backend is chosen without a client.

BACKENDS = ("local", "aws")


def make_runtime(
    env: Mapping[str, str] | None = None,
    *,
    backend: str | None = None,
    engine: Engine | None = None,
    invoker: TaskInvoker | None = None,
    db_path: str | Path | None = None,
    max_workers: int = 4,
    client: Any = None,
    state_machine_arns: Mapping[str, str] | None = None,
    start: bool = True,
) -> Runtime:
    """Explicit ``backend`` first, then ``AOF_BACKEND`` in ``env``, then ``local``.

    local: uses ``engine`` or builds one on ``db_path`` (default ``settings.db_path(env)``)
    with ``invoker``, and starts its worker threads unless ``start=False``.
    aws: uses ``client`` (a boto3 ``stepfunctions`` client; built from the environment if
    omitted) and ``state_machine_arns`` (flow name -> ARN).
    """
    chosen = settings.resolve(settings.AOF_BACKEND, backend, env, "local")
    if chosen == "local":
        if engine is None:
            if invoker is None:
                raise ConfigurationError("the local backend needs an engine or a task invoker")
            engine = Engine(db_path or settings.db_path(env), invoker, max_workers=max_workers)
        if start:
            engine.start()
        return LocalRuntime(engine)
    if chosen == "aws":
        if client is None:
            import boto3

            client = boto3.client("stepfunctions")
        return StepFunctionsRuntime(client, require_arns(state_machine_arns))
    raise ConfigurationError(f"{settings.AOF_BACKEND} must be one of {BACKENDS}, not {chosen!r}")
