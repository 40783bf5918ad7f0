"""Node handlers: ``handle(NodeInput, deps) -> NodeOutput``, one module per node type.

Exports resolve on first use: the Slack route imports :mod:`chalicelib.nodes.approvals`, and
must not pay at cold start for the node input models (pydantic) it never uses.
"""

from typing import TYPE_CHECKING

from chalicelib.lazy import lazy_exports

if TYPE_CHECKING:
    from .deps import NodeDeps, deps_from_env
    from .dispatch import FUNCTIONS, PLACEHOLDER_FUNCTIONS, run_task
    from .models import LifecycleInput, NodeInput, NodeOutput, TaskContext

__getattr__ = lazy_exports(
    __name__,
    {
        "FUNCTIONS": ".dispatch",
        "PLACEHOLDER_FUNCTIONS": ".dispatch",
        "run_task": ".dispatch",
        "NodeDeps": ".deps",
        "deps_from_env": ".deps",
        "LifecycleInput": ".models",
        "NodeInput": ".models",
        "NodeOutput": ".models",
        "TaskContext": ".models",
    },
)

__all__ = [
    "FUNCTIONS",
    "PLACEHOLDER_FUNCTIONS",
    "LifecycleInput",
    "NodeDeps",
    "NodeInput",
    "NodeOutput",
    "TaskContext",
    "deps_from_env",
    "run_task",
]
