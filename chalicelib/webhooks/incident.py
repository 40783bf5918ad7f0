"""The one normalised incident event every PagerDuty delivery becomes.

Both accepted shapes (real Generic Webhooks v3 and the AOF tutorial's simplified body) are
turned into :class:`IncidentEvent`; the flow sees :meth:`IncidentEvent.to_flow_event` as
``$.event``, always in the tutorial's shape so ``${event.incident.custom_details.namespace}``
resolves whichever shape arrived.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

INCIDENT_TRIGGERED = "incident.triggered"
INCIDENT_ACKNOWLEDGED = "incident.acknowledged"
INCIDENT_RESOLVED = "incident.resolved"
#: Event types that mean a human took the incident over: pending automation must stop.
HUMAN_TAKEOVER_EVENTS = frozenset({INCIDENT_ACKNOWLEDGED, INCIDENT_RESOLVED})


class ServiceRef(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str | None = None
    id: str | None = None


class Agent(BaseModel):
    """Who acted (a user acknowledging, the service triggering...)."""

    model_config = ConfigDict(frozen=True)

    id: str | None = None
    summary: str | None = None
    type: str | None = None


class Incident(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    title: str
    service: ServiceRef = Field(default_factory=ServiceRef)
    urgency: str | None = None
    html_url: str | None = None
    status: str | None = None
    custom_details: dict[str, Any] = Field(default_factory=dict)
    escalation_policy_id: str | None = None


class IncidentEvent(BaseModel):
    """One PagerDuty incident event, whichever shape it came in."""

    model_config = ConfigDict(frozen=True)

    event_id: str
    event_type: str
    incident: Incident
    agent: Agent | None = None
    occurred_at: str | None = None
    source_shape: Literal["v3", "tutorial"] = "v3"
    #: Why enrichment (REST look-ups) failed, if it did; the event proceeds without it.
    enrichment_errors: tuple[str, ...] = ()

    def to_flow_event(self) -> dict[str, Any]:
        """The dict the flow sees as ``$.event`` (the tutorial's shape plus event metadata)."""
        incident = self.incident
        return {
            "incident": {
                "id": incident.id,
                "title": incident.title,
                "service": {"name": incident.service.name, "id": incident.service.id},
                "urgency": incident.urgency,
                "html_url": incident.html_url,
                "status": incident.status,
                "custom_details": dict(incident.custom_details),
                "escalation_policy_id": incident.escalation_policy_id,
            },
            "event_id": self.event_id,
            "event_type": self.event_type,
            "occurred_at": self.occurred_at,
            "agent": self.agent.model_dump() if self.agent else None,
        }

    def with_custom_details(self, details: dict[str, Any], errors: tuple[str, ...] = ()) -> IncidentEvent:
        """A copy whose ``custom_details`` has ``details`` merged under what the event carried."""
        merged = {**details, **self.incident.custom_details}
        incident = self.incident.model_copy(update={"custom_details": merged})
        return self.model_copy(update={"incident": incident, "enrichment_errors": self.enrichment_errors + errors})


class OtherEvent(BaseModel):
    """A v3 event that is not about an incident's life cycle (recorded, then ignored)."""

    model_config = ConfigDict(frozen=True)

    event_id: str
    event_type: str
