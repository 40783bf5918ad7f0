"""``aofctl eval``: score a model's diagnosis and remediation on incident scenarios.

Scoring (:mod:`.scoring`) is pure and reads only the model's answer, the scenario's expected
block and the cluster's audit log; the runner (:mod:`.runner`) drives the sandbox, which is a
development tool and is imported only when an evaluation runs.
"""
