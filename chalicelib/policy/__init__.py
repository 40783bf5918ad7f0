"""The safety policy outside the model: classification, approvals, budgets, the change protocol
(dry run, snapshot, monitor, rollback) and run admission under an incident storm."""

from chalicelib.policy.admission import AdmissionDecision, RunAdmission
from chalicelib.policy.change import KubeChanges, MonitorReport
from chalicelib.policy.classify import Assessment, Change, assess, change_of
from chalicelib.policy.gate import AllowedChange, PolicyGate, RunContext
from chalicelib.policy.plan import covered, planned_changes
from chalicelib.policy.protocol import ProtocolReport, apply_to_output, monitor_and_rollback
from chalicelib.policy.settings import RateLimitSettings, SafetySettings

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
