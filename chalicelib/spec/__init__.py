"""AOF resources (``Agent``, ``AgentFlow``): models, YAML loading with line numbers, validation."""

from .graph import FlowGraph
from .loader import load_paths, load_resources, load_text
from .models import AgentFlowResource, AgentResource, AnyNode, is_approval
from .references import FlowReferences, Resolved, jsonpath
from .resources import Resources
from .validate import check_flow, validate_resources

__all__ = [
    "AgentFlowResource",
    "AgentResource",
    "AnyNode",
    "FlowGraph",
    "FlowReferences",
    "Resolved",
    "Resources",
    "check_flow",
    "is_approval",
    "jsonpath",
    "load_paths",
    "load_resources",
    "load_text",
    "validate_resources",
]
