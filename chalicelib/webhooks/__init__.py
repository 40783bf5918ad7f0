"""Inbound webhooks: PagerDuty (``/pagerduty/webhook``) and Slack (``/slack/interactivity``,
``/slack/events``), as framework-agnostic handlers ``handle_*(WebhookRequest, deps) ->
WebhookResponse``. The ports they need are in :mod:`chalicelib.webhooks.ports`.

Cold start: nothing here imports anthropic, openai, kubernetes or mcp; ``slack_sdk.signature``
is imported only when a Slack request is verified.
"""

from __future__ import annotations

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
