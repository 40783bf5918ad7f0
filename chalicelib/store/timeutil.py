"""Clock and timestamp helpers.

Record timestamps (``started_at``, ``ended_at``, ``at``, ``decided_at``...) are ISO-8601 UTC
strings in one fixed shape, ``2026-11-26T17:37:29.000000Z``, so they sort as text in SQLite and
in DynamoDB sort keys. Expiry values (``expires_at``) are epoch seconds, the unit DynamoDB TTL
reads. The clock is a callable returning epoch seconds, injected so tests never sleep.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], float]

ISO_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def system_clock() -> float:
    return time.time()


def to_datetime(value: datetime | str) -> datetime:
    """A timezone-aware UTC datetime; naive datetimes are taken as UTC."""
    parsed = datetime.fromisoformat(value) if isinstance(value, str) else value
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def to_iso(value: datetime | str) -> str:
    return to_datetime(value).strftime(ISO_FORMAT)


def iso_from_epoch(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, tz=UTC).strftime(ISO_FORMAT)


def utc_now_iso() -> str:
    return datetime.now(tz=UTC).strftime(ISO_FORMAT)
