"""What the offline model reads from the conversation: the prompt, and tool results so far.

The builtin model is stateless: every turn it replays its plan against the transcript. A step
whose exact call is already answered in the transcript is read from it; the first missing steps
become the next tool calls. So it can also take over a conversation an LLM started.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from chalicelib.agents.types import Message, ModelRequest, ToolUse


class NeedTools(Exception):
    """Raised by a plan that cannot go on without these calls."""

    def __init__(self, uses: list[ToolUse]) -> None:
        super().__init__(f"{len(uses)} tool calls needed")
        self.uses = uses


@dataclass
class Answer:
    ok: bool
    text: str


def call_key(name: str, arguments: dict[str, Any]) -> str:
    return f"{name}:{json.dumps(arguments, sort_keys=True)}"


class Transcript:
    def __init__(self, request: ModelRequest) -> None:
        self.request = request
        self.tool_names = {t.name: t for t in request.tools}
        # Answers in conversation order: the same call made twice (a health check after an action)
        # has two answers, and a plan step reads the first one after its ``since`` cursor.
        self.results: list[tuple[str, Answer]] = []
        self.cursor = 0
        uses: dict[str, str] = {}
        for msg in request.messages:
            for block in msg.content:
                if block.get("type") == "tool_use":
                    uses[block["id"]] = call_key(block["name"], block.get("input") or {})
                elif block.get("type") == "tool_result" and block.get("tool_use_id") in uses:
                    answer = Answer(ok=not block.get("is_error", False), text=str(block.get("content", "")))
                    self.results.append((uses[block["tool_use_id"]], answer))
        self.prompt = _prompt(request.messages)

    def field(self, label: str) -> str | None:
        # One line only: an empty "Namespace:" must not take the next line as its value.
        match = re.search(rf"^[ \t]*{label}[ \t]*:[ \t]*(.+?)[ \t]*$", self.prompt, re.I | re.M)
        value = match.group(1).strip() if match else None
        return value or None

    def gather(self, calls: list[tuple[str, dict[str, Any]]], *, fresh: bool = False) -> list[Answer]:
        """The answers to ``calls``; raises ``NeedTools`` with every one not yet made.

        ``fresh``: only answers given after everything gathered so far count (re-checks).
        """
        since = self.cursor if fresh else 0
        found: list[tuple[int, Answer]] = []
        missing = []
        for n, a in calls:
            key = call_key(n, a)
            hit = next(((i, ans) for i, (k, ans) in enumerate(self.results) if i >= since and k == key), None)
            if hit is None:
                missing.append((n, a))
            else:
                found.append(hit)
        if missing:
            base = sum(1 for m in self.request.messages for b in m.content if b.get("type") == "tool_use")
            raise NeedTools(
                [ToolUse(id=f"builtin_{base + i + 1}", name=n, input=a) for i, (n, a) in enumerate(missing)]
            )
        self.cursor = max([self.cursor, *(i + 1 for i, _ in found)])
        return [ans for _, ans in found]


def _prompt(messages: list[Message]) -> str:
    # The newest user text that is not our own corrective turn.
    for msg in reversed(messages):
        if msg.role != "user":
            continue
        texts = [b["text"] for b in msg.content if b.get("type") == "text"]
        text = "\n".join(texts)
        if text and not text.startswith("Your answer does not match"):
            return text
    return ""
