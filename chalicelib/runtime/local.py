"""Runtime backed by the embedded engine."""

from __future__ import annotations

from typing import Any

from chalicelib.engine.engine import Engine
from chalicelib.engine.models import ExecutionDescription


class LocalRuntime:
    """Thin pass-through: the engine already speaks the runtime's language and errors."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def start_execution(self, flow: str, input: Any, name: str | None = None) -> str:
        return self.engine.start_execution(flow, name, input)

    def send_task_success(self, token: str, output: Any) -> None:
        self.engine.send_task_success(token, output)

    def send_task_failure(self, token: str, error: str, cause: str = "") -> None:
        self.engine.send_task_failure(token, error, cause)

    def describe(self, execution_id: str) -> ExecutionDescription:
        return self.engine.describe(execution_id)

    def history(self, execution_id: str) -> list[dict[str, Any]]:
        return self.engine.history(execution_id)

    def stop_execution(self, execution_id: str, error: str | None = None, cause: str | None = None) -> None:
        self.engine.stop_execution(execution_id, error, cause)

    def list_executions(self, flow: str | None = None, status: str | None = None) -> list[ExecutionDescription]:
        return self.engine.list_executions(flow, status)
