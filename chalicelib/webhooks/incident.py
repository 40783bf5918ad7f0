"""The one normalised incident event every PagerDuty delivery becomes.

Both accepted shapes (real Generic Webhooks v3 and the AOF tutorial's simplified body) are
turned into :class:`IncidentEvent`; the flow sees :meth:`IncidentEvent.to_flow_event` as
``$.event``, always in the tutorial's shape so ``${event.incident.custom_details.namespace}``
resolves whichever shape arrived.
"""

from __future__ import annotations

from typing import Any, Literal

from chalicelib.record import Record, asdict, field, replace

INCIDENT_TRIGGERED = "incident.triggered"
INCIDENT_ACKNOWLEDGED = "incident.acknowledged"
INCIDENT_RESOLVED = "incident.resolved"
#: Event types that mean a human took the incident over: pending automation must stop.
HUMAN_TAKEOVER_EVENTS = frozenset({INCIDENT_ACKNOWLEDGED, INCIDENT_RESOLVED})


class ServiceRef(Record):
    name: str | None = None
    id: str | None = None


class Agent(Record):
    """Who acted (a user acknowledging, the service triggering...)."""

    id: str | None = None
    summary: str | None = None
    type: str | None = None


class Incident(Record):
    id: str
    title: str
    service: ServiceRef = field(default_factory=ServiceRef)
    urgency: str | None = None
    html_url: str | None = None
    status: str | None = None
    custom_details: dict[str, Any] = field(default_factory=dict)
    escalation_policy_id: str | None = None


class IncidentEvent(Record):
    """One PagerDuty incident event, whichever shape it came in."""

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
            "agent": asdict(self.agent) if self.agent else None,
        }

    def with_custom_details(self, details: dict[str, Any], errors: tuple[str, ...] = ()) -> IncidentEvent:
        """A copy whose ``custom_details`` has ``details`` merged under what the event carried."""
        merged = {**details, **self.incident.custom_details}
        incident = replace(self.incident, custom_details=merged)
        return replace(self, incident=incident, enrichment_errors=self.enrichment_errors + errors)


class OtherEvent(Record):
    """A v3 event that is not about an incident's life cycle (recorded, then ignored)."""

    event_id: str
    event_type: str
