"""Slack request signatures (``v0=`` HMAC of ``v0:<timestamp>:<body>``), 5-minute window.

Only ``slack_sdk.signature`` is used here, imported on first use so the PagerDuty route,
which shares this package, never pays for it.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from chalicelib.errors import Unauthorized
from chalicelib.settings import SLACK_SIGNING_SECRET
from chalicelib.webhooks.http import WebhookRequest


def verify_slack_request(
    request: WebhookRequest, signing_secret: str | None, clock: Callable[[], float] = time.time
) -> None:
    """Raise :class:`Unauthorized` unless the request is signed with ``signing_secret`` and fresh."""
    if not signing_secret:
        raise Unauthorized(f"Slack signing secret is not configured: set {SLACK_SIGNING_SECRET}")
    from slack_sdk.signature import Clock, SignatureVerifier

    class _Clock(Clock):
        def now(self) -> float:
            return clock()

    timestamp = request.header("X-Slack-Request-Timestamp")
    signature = request.header("X-Slack-Signature")
    if not timestamp or not signature or not timestamp.strip().isdigit():
        raise Unauthorized("missing or malformed Slack signature headers")
    try:
        body = request.body.decode("utf-8")
    except UnicodeDecodeError:
        raise Unauthorized("invalid Slack signature") from None
    verifier = SignatureVerifier(signing_secret, clock=_Clock())
    if not verifier.is_valid(body=body, timestamp=timestamp.strip(), signature=signature):
        raise Unauthorized("invalid or stale Slack signature (requests older than 5 minutes are refused)")
