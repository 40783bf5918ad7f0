"""Fill in what a v3 delivery lacks: the alerts' custom details and the incident custom fields.

Generic Webhooks v3 carry no ``custom_details``, yet the tutorial's flow reads
``${event.incident.custom_details.namespace}``. Failures never lose the delivery: the event
proceeds with what it has and the reason lands in ``enrichment_errors``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, Protocol

from chalicelib.errors import AofError
from chalicelib.integrations.pagerduty_objects import Alert, CustomFieldValue
from chalicelib.webhooks.incident import IncidentEvent

logger = logging.getLogger(__name__)


class IncidentDetailsSource(Protocol):
    """What the enricher reads (``chalicelib.integrations.pagerduty.PagerDutyClient`` fits)."""

    def list_alerts(self, incident_id: str) -> Sequence[Alert]: ...

    def custom_field_values(self, incident_id: str) -> Sequence[CustomFieldValue]: ...


class PagerDutyEnricher:
    def __init__(self, client: IncidentDetailsSource) -> None:
        self._client = client

    def enrich(self, event: IncidentEvent) -> IncidentEvent:
        incident_id = event.incident.id
        details: dict[str, Any] = {}
        errors: list[str] = []
        try:
            # The first alert is the one that triggered the incident: its details win.
            for alert in reversed(self._client.list_alerts(incident_id)):
                details.update(alert.details)
        except (AofError, OSError) as error:
            errors.append(f"alerts: {_reason(error)}")
        try:
            # Incident custom fields are set deliberately by people: they override alert details.
            for field in self._client.custom_field_values(incident_id):
                if field.value is not None:
                    details[field.name] = field.value
        except (AofError, OSError) as error:
            errors.append(f"custom fields: {_reason(error)}")
        if errors:
            logger.warning("enrichment of incident %s incomplete: %s", incident_id, "; ".join(errors))
        return event.with_custom_details(details, tuple(errors))


def _reason(error: Exception) -> str:
    return error.message if isinstance(error, AofError) else type(error).__name__
