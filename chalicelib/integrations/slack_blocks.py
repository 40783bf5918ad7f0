"""Block Kit rendering of the tutorial's markdown messages and of approval messages.

Incident text is untrusted (titles come from alerts): ``&``, ``<`` and ``>`` are escaped so a
title can neither ping ``<!channel>`` nor forge a link; only our own markup adds ``<...>``.

Values spliced into a message from incident data or an agent's answer are wrapped with
:func:`mark` by whoever builds the message. The flow author's markdown around them is
converted (``**bold**``, ``[label](url)``); a marked value never is, so a title written
``[Open the runbook](http://evil.example)`` stays text instead of becoming a link.
:func:`plain` removes the marks for plain-text uses (the notification fallback, the terminal).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Literal

from .slack_marks import _CLOSE, _OPEN, _SLOT_CLOSE, _SLOT_OPEN, escape, mark, plain

__all__ = ["escape", "mark", "plain"]  # with the renderers below: callers need one module

SECTION_LIMIT = 3000  # characters in a section's text
BLOCK_LIMIT = 50  # blocks in a message
APPROVAL_BLOCK_ID = "approval-actions"
ACTION_APPROVE, ACTION_PAUSE, ACTION_SKIP = "approval.approve", "approval.pause", "approval.skip"
REACTION_HINT = "You can also react: ✅ approve · ⏸️ pause · ❌ skip"

Decision = Literal["approve", "pause", "skip"]
_DECISION_TEXT: dict[str, str] = {
    "approve": "✅ Approved",
    "pause": "⏸️ Paused for manual investigation",
    "skip": "❌ Skipped (no auto-remediation)",
}

_FENCE = "```"
_BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")
_STRIKE = re.compile(r"~~(?=\S)(.+?)(?<=\S)~~")
_LINK = re.compile(r"\[([^\]\n]+)\]\((https?://[^\s)]+)\)")
_HEADING = re.compile(r"^#{1,6}\s+(.+)$", re.MULTILINE)


_MARKED = re.compile(f"{_OPEN}(.*?){_CLOSE}", re.DOTALL)
_SLOT = re.compile(f"{_SLOT_OPEN}([0-9]+){_SLOT_CLOSE}")


def fallback_text(text: str) -> str:
    """A message's ``text`` field (notifications, clients without blocks): plain text, escaped."""
    return escape(plain(text))


def to_mrkdwn(text: str) -> str:
    """Markdown (as the tutorial writes it) to Slack mrkdwn; code spans are left alone.

    Marked values are set aside first and put back escaped after the conversion, so their
    content takes no part in it.
    """
    values: list[str] = []

    def hold(match: re.Match[str]) -> str:
        values.append(match.group(1))
        return f"{_SLOT_OPEN}{len(values) - 1}{_SLOT_CLOSE}"

    # Slot characters from outside, and stray marks (none unless a marked text was cut), go.
    text = text.replace(_SLOT_OPEN, "").replace(_SLOT_CLOSE, "")
    held = plain(_MARKED.sub(hold, text))
    return _SLOT.sub(lambda m: escape(values[int(m.group(1))]), _convert(held))


def _convert(text: str) -> str:
    out: list[str] = []
    for index, chunk in enumerate(text.split(_FENCE)):
        chunk = escape(chunk)
        if index % 2 == 0:  # outside a fenced code block
            chunk = _BOLD.sub(r"*\1*", chunk)
            chunk = _STRIKE.sub(r"~\1~", chunk)
            chunk = _HEADING.sub(r"*\1*", chunk)
            chunk = _LINK.sub(lambda m: f"<{m.group(2).replace('|', '%7C')}|{m.group(1)}>", chunk)
        out.append(chunk)
    return _FENCE.join(out)


def markdown_to_blocks(text: str) -> list[dict[str, Any]]:
    """Blank-line paragraphs become mrkdwn sections (split at 3,000 chars; at most 50 blocks)."""
    sections = [piece for paragraph in _paragraphs(to_mrkdwn(text)) for piece in _split(paragraph)]
    if len(sections) > BLOCK_LIMIT:
        sections = _pack(sections)
    blocks = [_section(piece) for piece in sections]
    if len(blocks) > BLOCK_LIMIT:
        blocks = [*blocks[: BLOCK_LIMIT - 1], _context("… message truncated (too long for Slack)")]
    return blocks


def approval_blocks(text: str, approval_id: str) -> list[dict[str, Any]]:
    """The request with Approve / Pause / Skip buttons whose value is ``approval_id``."""
    buttons = [
        _button("Approve", ACTION_APPROVE, approval_id, "primary"),
        _button("Pause", ACTION_PAUSE, approval_id, None),
        _button("Skip", ACTION_SKIP, approval_id, "danger"),
    ]
    actions = {"type": "actions", "block_id": APPROVAL_BLOCK_ID, "elements": buttons}
    return [*_body(text, reserve=2), actions, _context(REACTION_HINT)]


def decided_blocks(text: str, decision: Decision, by: str, at: datetime) -> list[dict[str, Any]]:
    """The request with its buttons removed and who decided, when."""
    verdict = _DECISION_TEXT.get(decision, escape(decision))
    return [*_body(text, reserve=1), _context(f"{verdict} by <@{_user(by)}> at {_when(at)}")]


def timed_out_blocks(
    text: str, at: datetime | None = None, outcome: str = "rejected by default"
) -> list[dict[str, Any]]:
    """The request after nobody decided in time: no buttons, and what happened instead."""
    when = f" at {_when(at)}" if at else ""
    return [*_body(text, reserve=1), _context(f"⏱️ No decision in time{when}: {escape(outcome)}")]


def _body(text: str, reserve: int) -> list[dict[str, Any]]:
    blocks = markdown_to_blocks(text)
    room = BLOCK_LIMIT - reserve
    if len(blocks) > room:
        blocks = [*blocks[: room - 1], _context("… message truncated (too long for Slack)")]
    return blocks


def _paragraphs(text: str) -> list[str]:
    """Split on blank lines, but never inside a fenced code block."""
    paragraphs: list[str] = []
    current: list[str] = []
    in_code = False
    for line in text.splitlines():
        if line.count(_FENCE) % 2 == 1:
            in_code = not in_code
        if not line.strip() and not in_code:
            if current:
                paragraphs.append("\n".join(current))
                current = []
            continue
        current.append(line)
    if current:
        paragraphs.append("\n".join(current))
    return paragraphs


def _split(paragraph: str) -> list[str]:
    """Pieces of at most SECTION_LIMIT chars, cut at line ends where possible."""
    pieces: list[str] = []
    rest = paragraph
    while len(rest) > SECTION_LIMIT:
        cut = rest.rfind("\n", 0, SECTION_LIMIT)
        if cut <= 0:
            cut = rest.rfind(" ", 0, SECTION_LIMIT)
        if cut <= 0:
            cut = SECTION_LIMIT
        pieces.append(rest[:cut])
        rest = rest[cut:].lstrip("\n")
    if rest.strip():
        pieces.append(rest)
    return pieces


def _pack(pieces: list[str]) -> list[str]:
    """Join neighbouring pieces into as few sections as the size limit allows."""
    packed: list[str] = []
    for piece in pieces:
        if packed and len(packed[-1]) + 2 + len(piece) <= SECTION_LIMIT:
            packed[-1] += "\n\n" + piece
        else:
            packed.append(piece)
    return packed


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}


def _button(label: str, action_id: str, value: str, style: str | None) -> dict[str, Any]:
    button: dict[str, Any] = {
        "type": "button",
        "action_id": action_id,
        "text": {"type": "plain_text", "text": label, "emoji": True},
        "value": value,
    }
    if style:
        button["style"] = style
    return button


def _user(user_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9]", "", user_id)


def _when(at: datetime) -> str:
    """Slack renders ``<!date^...>`` in each reader's time zone; the fallback is UTC."""
    fallback = at.strftime("%Y-%m-%d %H:%M UTC") if at.tzinfo else at.strftime("%Y-%m-%d %H:%M")
    return f"<!date^{int(at.timestamp())}^{{date_short_pretty}} at {{time}}|{fallback}>"
