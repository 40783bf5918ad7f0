"""Who may post to ``/pagerduty/webhook``.

Rule: a delivery passes when **any configured method** succeeds:

- a signing secret is configured (``PAGERDUTY_WEBHOOK_SECRET``, several comma-separated during
  rotation) and ``X-PagerDuty-Signature`` carries a ``v1=`` HMAC-SHA256 of the raw body that
  matches one of them (PagerDuty Generic Webhooks v3);
- a token is configured (``PAGERDUTY_WEBHOOK_TOKEN``) and ``Authorization: Bearer <token>``
  matches it (the tutorial's ``auth: {type: Bearer}``).

With nothing configured every delivery is refused with a message saying how to configure one:
the route is never open by default. All comparisons are constant-time.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping, Sequence

from chalicelib.errors import Unauthorized
from chalicelib.record import Record
from chalicelib.settings import PAGERDUTY_WEBHOOK_SECRET, PAGERDUTY_WEBHOOK_TOKEN, resolve
from chalicelib.webhooks.http import WebhookRequest

SIGNATURE_HEADER = "X-PagerDuty-Signature"


class PagerDutyAuthConfig(Record):
    bearer_token: str | None = None
    signing_secrets: Sequence[str] = ()

    @classmethod
    def from_values(cls, token: str | None, secrets: str | None) -> PagerDutyAuthConfig:
        """From the raw setting values; ``secrets`` may list several, comma-separated."""
        parsed = tuple(s.strip() for s in (secrets or "").split(",") if s.strip())
        return cls(bearer_token=token or None, signing_secrets=parsed)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> PagerDutyAuthConfig:
        """From ``PAGERDUTY_WEBHOOK_TOKEN`` / ``PAGERDUTY_WEBHOOK_SECRET`` (``env`` or ``os.environ``)."""
        return cls.from_values(
            resolve(PAGERDUTY_WEBHOOK_TOKEN, None, env), resolve(PAGERDUTY_WEBHOOK_SECRET, None, env)
        )

    @property
    def configured(self) -> bool:
        return bool(self.bearer_token) or bool(self.signing_secrets)

    def __repr__(self) -> str:
        return (
            f"PagerDutyAuthConfig(bearer_token={'set' if self.bearer_token else None}, "
            f"signing_secrets={len(self.signing_secrets)})"
        )


def sign(body: bytes, secret: str) -> str:
    """The ``v1=<hex>`` signature PagerDuty sends for ``body``."""
    return "v1=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(request: WebhookRequest, config: PagerDutyAuthConfig) -> str:
    """Return the method that authenticated the request (``signature`` or ``bearer``).

    Raises :class:`Unauthorized`; its message never echoes what the caller sent.
    """
    if not config.configured:
        raise Unauthorized(
            "PagerDuty webhook authentication is not configured: set "
            f"{PAGERDUTY_WEBHOOK_SECRET} (the v3 subscription's signing secret) and/or "
            f"{PAGERDUTY_WEBHOOK_TOKEN} (a Bearer token); unauthenticated deliveries are refused"
        )
    if config.signing_secrets and _signature_matches(request, config.signing_secrets):
        return "signature"
    if config.bearer_token and _bearer_matches(request, config.bearer_token):
        return "bearer"
    accepted = []
    if config.signing_secrets:
        accepted.append(f"a valid {SIGNATURE_HEADER} (v1=...)")
    if config.bearer_token:
        accepted.append("Authorization: Bearer <token>")
    raise Unauthorized("invalid or missing credentials: expected " + " or ".join(accepted))


def _signature_matches(request: WebhookRequest, secrets: Sequence[str]) -> bool:
    header = request.header(SIGNATURE_HEADER)
    if not header:
        return False
    offered = [
        part.strip()[3:].lower().encode() for part in header.split(",") if part.strip().lower().startswith("v1=")
    ]
    matched = False
    for secret in secrets:
        expected = sign(request.body, secret)[3:].encode()
        for candidate in offered:
            # Evaluate every pair: no early exit that would leak which one matched.
            matched |= hmac.compare_digest(expected, candidate)
    return matched


def _bearer_matches(request: WebhookRequest, token: str) -> bool:
    header = request.header("Authorization") or ""
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(value.strip().encode(), token.encode())
