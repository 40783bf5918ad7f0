"""The safety policy outside the model: classification, approvals, budgets, the change protocol
(dry run, snapshot, monitor, rollback) and run admission under an incident storm.

Exports resolve on first use: the webhook Lambda admits runs (:mod:`.admission`) and must not
load the gate, the agents and the change protocol to do it.
"""

from typing import TYPE_CHECKING

from chalicelib.lazy import lazy_exports

if TYPE_CHECKING:
    from .admission import AdmissionDecision, RunAdmission
    from .change import KubeChanges, MonitorReport
    from .classify import Assessment, Change, assess, change_of
    from .gate import AllowedChange, PolicyGate, RunContext
    from .plan import covered, planned_changes
    from .protocol import ProtocolReport, apply_to_output, monitor_and_rollback
    from .rate_limit import RateLimitSettings
    from .settings import SafetySettings

__getattr__ = lazy_exports(
    __name__,
    {
        "AdmissionDecision": ".admission",
        "RunAdmission": ".admission",
        "KubeChanges": ".change",
        "MonitorReport": ".change",
        "Assessment": ".classify",
        "Change": ".classify",
        "assess": ".classify",
        "change_of": ".classify",
        "AllowedChange": ".gate",
        "PolicyGate": ".gate",
        "RunContext": ".gate",
        "covered": ".plan",
        "planned_changes": ".plan",
        "ProtocolReport": ".protocol",
        "apply_to_output": ".protocol",
        "monitor_and_rollback": ".protocol",
        "RateLimitSettings": ".rate_limit",
        "SafetySettings": ".settings",
    },
)

__all__ = [
    "AdmissionDecision",
    "AllowedChange",
    "Assessment",
    "Change",
    "KubeChanges",
    "MonitorReport",
    "PolicyGate",
    "ProtocolReport",
    "RateLimitSettings",
    "RunAdmission",
    "RunContext",
    "SafetySettings",
    "apply_to_output",
    "assess",
    "change_of",
    "covered",
    "monitor_and_rollback",
    "planned_changes",
]
