"""Embedded Amazon States Language engine, durable in SQLite.

Runs the same compiled definition Step Functions runs, calling node handlers in-process
through a :class:`~chalicelib.engine.invoker.TaskInvoker`. Import from the module that defines
a name: :mod:`.engine` (``Engine``), :mod:`.errors`, :mod:`.models`, :mod:`.invoker`,
:mod:`.clock`, :mod:`.tokens`, :mod:`.definition`. The webhook Lambda loads :mod:`.errors` only.
"""
