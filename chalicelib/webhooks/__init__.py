"""Inbound webhooks: PagerDuty (``/pagerduty/webhook``) and Slack (``/slack/interactivity``,
``/slack/events``), as framework-agnostic handlers ``handle_*(WebhookRequest, deps) ->
WebhookResponse``. The ports they need are in :mod:`chalicelib.webhooks.ports`.

Cold start: nothing here imports anthropic, openai, kubernetes or mcp; ``slack_sdk.signature``
is imported only when a Slack request is verified.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.lazy import lazy_exports

if TYPE_CHECKING:
    from chalicelib.webhooks.enrichment import PagerDutyEnricher
    from chalicelib.webhooks.execution_names import execution_name
    from chalicelib.webhooks.http import Headers, WebhookRequest, WebhookResponse
    from chalicelib.webhooks.incident import Incident, IncidentEvent
    from chalicelib.webhooks.pagerduty import PagerDutyWebhookDeps, handle_pagerduty_webhook
    from chalicelib.webhooks.pagerduty_auth import PagerDutyAuthConfig
    from chalicelib.webhooks.ports import (
        ApprovalResolver,
        Decision,
        DeliveryLog,
        Enricher,
        MessageRef,
        ResolutionResult,
        RunController,
        RunStarter,
    )
    from chalicelib.webhooks.slack import SlackWebhookDeps, handle_slack_events, handle_slack_interactivity

# Exports resolve on first use: the webhook route imports only what it needs (cold start).
_EXPORTS = {
    "PagerDutyEnricher": "chalicelib.webhooks.enrichment",
    "execution_name": "chalicelib.webhooks.execution_names",
    "Headers": "chalicelib.webhooks.http",
    "WebhookRequest": "chalicelib.webhooks.http",
    "WebhookResponse": "chalicelib.webhooks.http",
    "Incident": "chalicelib.webhooks.incident",
    "IncidentEvent": "chalicelib.webhooks.incident",
    "PagerDutyWebhookDeps": "chalicelib.webhooks.pagerduty",
    "handle_pagerduty_webhook": "chalicelib.webhooks.pagerduty",
    "PagerDutyAuthConfig": "chalicelib.webhooks.pagerduty_auth",
    "ApprovalResolver": "chalicelib.webhooks.ports",
    "Decision": "chalicelib.webhooks.ports",
    "DeliveryLog": "chalicelib.webhooks.ports",
    "Enricher": "chalicelib.webhooks.ports",
    "MessageRef": "chalicelib.webhooks.ports",
    "ResolutionResult": "chalicelib.webhooks.ports",
    "RunController": "chalicelib.webhooks.ports",
    "RunStarter": "chalicelib.webhooks.ports",
    "SlackWebhookDeps": "chalicelib.webhooks.slack",
    "handle_slack_events": "chalicelib.webhooks.slack",
    "handle_slack_interactivity": "chalicelib.webhooks.slack",
}


__getattr__ = lazy_exports(__name__, _EXPORTS)


__all__ = [
    "ApprovalResolver",
    "Decision",
    "DeliveryLog",
    "Enricher",
    "Headers",
    "Incident",
    "IncidentEvent",
    "MessageRef",
    "PagerDutyAuthConfig",
    "PagerDutyEnricher",
    "PagerDutyWebhookDeps",
    "ResolutionResult",
    "RunController",
    "RunStarter",
    "SlackWebhookDeps",
    "WebhookRequest",
    "WebhookResponse",
    "execution_name",
    "handle_pagerduty_webhook",
    "handle_slack_events",
    "handle_slack_interactivity",
]
