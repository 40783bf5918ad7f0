"""Start executions and resolve task tokens, on Step Functions or on the embedded engine.

Import from the module that defines a name: :mod:`.base` (``Runtime``), :mod:`.factory`
(``make_runtime``), :mod:`.local` (``LocalRuntime``), :mod:`.stepfunctions`
(``StepFunctionsRuntime``); the runtime errors are the engine's (:mod:`chalicelib.engine.errors`).
The webhook Lambda loads only :mod:`.stepfunctions`, never the embedded engine and SQLite.
"""
