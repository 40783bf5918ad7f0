"""Marking values as data inside a Slack message, and taking the marks off again.

Apart from :mod:`.slack_blocks` because the webhook path (a storm escalation's plain text) needs
only :func:`plain`, and the Block Kit renderer's regexes cost it 0.7 ms of cold start.
"""

from __future__ import annotations

# Private-use code points: they never come from a keyboard, and any in a value are dropped.
_OPEN, _CLOSE = "\ue000", "\ue001"
_SLOT_OPEN, _SLOT_CLOSE = "\ue002", "\ue003"


def escape(text: str) -> str:
    """Slack's own escaping: the three characters its markup is made of."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def mark(value: str) -> str:
    """``value`` as data inside a message: shown escaped, never read as markdown or markup."""
    return _OPEN + unmarked(value) + _CLOSE


def plain(text: str) -> str:
    """The message as plain text (marks removed, nothing escaped)."""
    return text.replace(_OPEN, "").replace(_CLOSE, "")


def unmarked(text: str) -> str:
    """``text`` without any mark character (a value cannot close or open a mark itself)."""
    return "".join(c for c in text if c not in (_OPEN, _CLOSE, _SLOT_OPEN, _SLOT_CLOSE))
