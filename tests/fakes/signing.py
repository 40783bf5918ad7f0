"""Sign bodies the way PagerDuty and Slack do, for tests (independent of the code under test)."""

from __future__ import annotations

import hashlib
import hmac


def sign_pagerduty(body: bytes, secret: str) -> str:
    """``X-PagerDuty-Signature`` value for ``body``: ``v1=<hex hmac-sha256>``."""
    return "v1=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def sign_slack(body: bytes, secret: str, ts: int) -> dict[str, str]:
    """The two Slack signature headers for ``body`` sent at unix time ``ts``."""
    base = b"v0:" + str(ts).encode() + b":" + body
    digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": str(ts), "X-Slack-Signature": "v0=" + digest}
