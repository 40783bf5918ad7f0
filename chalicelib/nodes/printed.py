"""The embedded default prints what it cannot send; the run's record says which messages those were.

A message only printed (no ``SLACK_BOT_TOKEN``, no ``PAGERDUTY_API_KEY``) is recorded as a
``MessagePrinted`` event on the run, so ``aofctl describe``/``report`` never let a printed
"PagerDuty resolved" pass for a sent one. Deployed stages never print (see
:class:`chalicelib.errors.MissingCredential`).
"""

from __future__ import annotations

from typing import Any

from ..store import RunEvent
from .deps import NodeDeps
from .models import NodeOutput

MESSAGE_PRINTED = "MessagePrinted"


def console_posts(deps: NodeDeps) -> int:
    """How many messages the terminal notifier has printed so far (0 for Slack)."""
    return len(getattr(deps.notifier, "posted", ()))


def record_printed(deps: NodeDeps, run_id: str, node_id: str | None, output: NodeOutput, posts_before: int) -> None:
    printed: list[dict[str, Any]] = [
        {"service": "slack", "channel": post["channel"], "reason": "SLACK_BOT_TOKEN is not set"}
        for post in list(getattr(deps.notifier, "posted", ()))[posts_before:]
    ]
    if output.meta.get("simulated"):
        request = output.meta.get("request") or {}
        printed.append(
            {
                "service": "pagerduty",
                "request": f"{request.get('method', '')} {request.get('url', '')}".strip(),
                "reason": "PAGERDUTY_API_KEY is not set",
            }
        )
    if not printed or not run_id or deps.store.runs.get_run(run_id) is None:
        return
    for details in printed:
        deps.store.runs.append_event(run_id, RunEvent(type=MESSAGE_PRINTED, node_id=node_id, details=details))
