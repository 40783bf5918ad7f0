"""The runtime interface the app's routes and the CLI use to drive executions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from chalicelib.engine.models import ExecutionDescription


class Runtime(Protocol):
    def start_execution(self, flow: str, input: Any, name: str | None = None) -> str:
        """Start ``flow``; return the execution id (the execution ARN on Step Functions).

        Raises ExecutionAlreadyExists when ``name`` was used before for this flow.
        """
        ...

    def send_task_success(self, token: str, output: Any) -> None:
        """Resolve a waiting ``.waitForTaskToken`` task; ``output`` is any JSON value."""
        ...

    def send_task_failure(self, token: str, error: str, cause: str = "") -> None: ...

    def describe(self, execution_id: str) -> ExecutionDescription: ...

    def history(self, execution_id: str) -> list[dict[str, Any]]:
        """Events in Step Functions' ``GetExecutionHistory`` shape; timestamps as ISO strings."""
        ...

    def stop_execution(self, execution_id: str, error: str | None = None, cause: str | None = None) -> None: ...

    def list_executions(self, flow: str | None = None, status: str | None = None) -> list[ExecutionDescription]: ...
