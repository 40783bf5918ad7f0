"""The flow's ``rate_limit``, as run admission reads it.

A module of its own because the webhook Lambda admits runs: it must not load the safety
settings and the rest of the policy to read three numbers.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chalicelib.record import Record


class RateLimitSettings(Record):
    max_concurrent: int = 3
    queue_size: int = 10
    timeout_seconds: int = 1800

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any] | None) -> RateLimitSettings:
        raw = dict(raw or {})
        base = cls()
        return cls(
            max_concurrent=int(raw.get("max_concurrent", base.max_concurrent)),
            queue_size=int(raw.get("queue_size", base.queue_size)),
            timeout_seconds=int(raw.get("timeout_seconds", base.timeout_seconds)),
        )
