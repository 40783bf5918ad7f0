"""The offline model's answer to a diagnostic agent, in the agent's output schema."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass
class Diagnosis:
    severity: str
    root_cause: str
    affected: list[str]
    impact: str
    action: dict[str, Any] | None
    recommended_action: str
    requires_approval: bool
    confidence: float

    def as_output(self) -> dict[str, Any]:
        return {
            "severity": self.severity,
            "root_cause": self.root_cause,
            "affected_components": self.affected,
            "impact": self.impact,
            "recommended_action": self.recommended_action,
            "requires_approval": self.requires_approval,
            "confidence": round(self.confidence, 2),
            "action": self.action,
        }


def kubectl_command(verb: str, target: str, namespace: str, extra: str = "") -> str:
    return f"kubectl {verb} {target}{extra} -n {namespace}"


def undetermined(affected: list[str], why: str, confidence: float, severity: str = "medium") -> Diagnosis:
    """No cause the evidence agrees on: say why, change nothing, escalate."""
    return Diagnosis(
        severity=severity,
        root_cause=f"Undetermined: {why}",
        affected=affected,
        impact="Unknown; a human should look",
        action=None,
        recommended_action="No safe automatic action can be justified from the cluster state; escalate to "
        "the on-call engineer",
        requires_approval=True,
        confidence=confidence,
    )


def no_tools_diagnosis() -> Diagnosis:
    return Diagnosis(
        severity="medium",
        root_cause="Undetermined: the offline model has no Kubernetes tool (kubectl via Shell, or Kubernetes) "
        "to inspect the cluster",
        affected=[],
        impact="Unknown",
        action=None,
        recommended_action="No action: escalate to the on-call engineer",
        requires_approval=True,
        confidence=0.1,
    )
