"""Inbound webhooks: PagerDuty (``/pagerduty/webhook``) and Slack (``/slack/interactivity``,
``/slack/events``), as framework-agnostic handlers ``handle_*(WebhookRequest, deps) ->
WebhookResponse``. The ports they need are in :mod:`chalicelib.webhooks.ports`; import each
name from the module that defines it.

Cold start: nothing here imports anthropic, openai, kubernetes or mcp; ``slack_sdk.signature``
is imported only when a Slack request is verified.
"""
