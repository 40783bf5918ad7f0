"""The safety policy outside the model: classification, approvals, budgets, the change protocol
(dry run, snapshot, monitor, rollback) and run admission under an incident storm.

Import from the module that defines a name: :mod:`.admission` (``RunAdmission``), :mod:`.gate`
(``PolicyGate``, ``RunContext``), :mod:`.classify`, :mod:`.change`, :mod:`.plan`,
:mod:`.protocol`, :mod:`.rate_limit`, :mod:`.settings`. The webhook Lambda admits runs with
:mod:`.admission` alone and never loads the gate, the agents or the change protocol.
"""
