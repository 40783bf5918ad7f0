"""Node handlers: ``handle(NodeInput, deps) -> NodeOutput``, one module per node type."""

from .deps import NodeDeps, deps_from_env
from .dispatch import FUNCTIONS, PLACEHOLDER_FUNCTIONS, run_task
from .models import LifecycleInput, NodeInput, NodeOutput, TaskContext

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
