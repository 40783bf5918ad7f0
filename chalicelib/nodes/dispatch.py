"""Route a task to its node handler: the one place the Lambdas and the embedded engine share."""

from __future__ import annotations

from typing import Any

from ..observability.runs import logged_task
from .deps import NodeDeps
from .printed import console_posts, record_printed
from .registry import NODE_KINDS, kind_of_function

#: Lambda function short names (as ``app.py`` declares them) by node type.
FUNCTIONS = {kind.type: kind.function for kind in NODE_KINDS}

#: Placeholder in compiled definitions -> function short name.
PLACEHOLDER_FUNCTIONS = {kind.placeholder: kind.function for kind in NODE_KINDS}


@logged_task
def run_task(function: str, payload: dict[str, Any], deps: NodeDeps) -> dict[str, Any]:
    """Run the handler behind ``function`` (short name, possibly prefixed) on a task payload."""
    kind = kind_of_function(function)
    if kind is None:
        raise ValueError(f"no node handler for function {function!r}")

    posts_before = console_posts(deps)
    run_id, node_id, output = kind.handler(payload, deps)
    record_printed(deps, run_id, node_id, output, posts_before)
    return output.payload()
