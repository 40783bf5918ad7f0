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
    from .registry import NODE_KINDS, NodeKind

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
        "NODE_KINDS": ".registry",
        "NodeKind": ".registry",
    },
)

__all__ = [
    "FUNCTIONS",
    "NODE_KINDS",
    "PLACEHOLDER_FUNCTIONS",
    "LifecycleInput",
    "NodeDeps",
    "NodeInput",
    "NodeKind",
    "NodeOutput",
    "TaskContext",
    "deps_from_env",
    "run_task",
]
