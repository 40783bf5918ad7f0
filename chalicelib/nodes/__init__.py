"""Node handlers: ``handle(NodeInput, deps) -> NodeOutput``, one module per node type.

Import from the module that defines a name: :mod:`.models` (``NodeInput``, ``NodeOutput``),
:mod:`.deps` (``NodeDeps``), :mod:`.dispatch` (``run_task``), :mod:`.registry` (``NODE_KINDS``).
The Slack route loads :mod:`.approvals` alone, never the node input models (pydantic).
"""
