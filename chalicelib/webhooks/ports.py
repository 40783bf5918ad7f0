"""What the webhook handlers need from the rest of the product, as small interfaces.

The lead implements these with the real store and runtime; tests use in-memory versions.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, Protocol

from chalicelib.record import Record, field
from chalicelib.webhooks.incident import IncidentEvent

Decision = Literal["approve", "pause", "skip"]


class DeliveryLog(Protocol):
    """Inbound deliveries, keyed by the sender's event id (PagerDuty ``event.id``, Slack ``event_id``)."""

    def record(self, delivery_id: str, record: dict[str, Any]) -> None:
        """Conditional put: raise ``chalicelib.errors.AlreadyExists(existing=<old record>)`` on a repeat."""

    def update(self, delivery_id: str, **fields: Any) -> None:
        """Merge ``fields`` into an existing record."""


class RunStarter(Protocol):
    def start_run(self, event: IncidentEvent, execution_name: str) -> str:
        """Start the flow for ``event`` and return the run id.

        Must be idempotent on ``execution_name`` (Step Functions refuses a second execution with
        the same name): a repeat returns the existing run's id and starts nothing.
        """


class RunController(Protocol):
    def on_incident_update(self, event: IncidentEvent) -> list[str]:
        """A human acknowledged or resolved the incident: stop pending automation for it.

        Returns the ids of the runs that were affected. Must be safe to call twice.
        """


class Enricher(Protocol):
    def enrich(self, event: IncidentEvent) -> IncidentEvent:
        """Add what the delivery lacks (custom details). Must not raise for outside failures:
        put them in ``event.enrichment_errors`` instead."""


class MessageRef(Record):
    """A Slack message: the reaction-based way to name an approval."""

    channel: str
    ts: str


class ResolutionResult(Record):
    applied: bool
    message: str
    approval: dict[str, Any] = field(default_factory=dict)


class ApprovalResolver(Protocol):
    def resolve(self, target: str | MessageRef, decision: Decision, user_id: str, at: datetime) -> ResolutionResult:
        """Apply a decision to an approval named by id (button) or by its Slack message (reaction).

        The implementation checks the approver, refuses self-approval, resolves the task token
        exactly once and updates the Slack message; a refused or repeated decision returns
        ``applied=False`` with a message for the user.
        """
