"""Step Functions execution names derived from the event, so a duplicate start is refused."""

from __future__ import annotations

import hashlib
import re

MAX_LENGTH = 80  # Step Functions: 1-80 characters of [A-Za-z0-9-_]
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


def execution_name(incident_id: str, event_id: str, prefix: str = "pd") -> str:
    """``<prefix>-<incident>-<event>-<hash>``: readable, at most 80 safe characters.

    The hash covers the raw ids, so ids that sanitise or truncate to the same text still get
    different names, and the same ids always give the same name.
    """
    digest = hashlib.sha256(f"{incident_id}\x00{event_id}".encode()).hexdigest()[:16]
    room = MAX_LENGTH - len(prefix) - len(digest) - 3
    incident_part = _clean(incident_id)[: room // 2]
    event_part = _clean(event_id)[: room - len(incident_part)]
    return "-".join(part for part in (prefix, incident_part, event_part, digest) if part)


def _clean(text: str) -> str:
    return _UNSAFE.sub("-", text).strip("-")
