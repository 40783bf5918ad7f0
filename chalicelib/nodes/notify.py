"""Where node messages go: Slack when a bot token is set, else the terminal.

The terminal notifier lets a newcomer run the tutorial with no accounts: every message a
flow would post, and every approval it would ask for, is printed instead.
"""

from __future__ import annotations

import itertools
import sys
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol, TextIO

from ..errors import AlreadyExists, MissingCredential
from ..integrations.slack_marks import plain
from ..settings import SLACK_BOT_TOKEN, is_deployed, resolve

if TYPE_CHECKING:
    from ..integrations.slack import ThreadRef

# Slack's Web API client (45 to 51 ms) is imported when a notifier is first built.


class Notifier(Protocol):
    def post(self, incident_id: str, channel: str, text: str, blocks: list[dict[str, Any]] | None) -> tuple[str, str]:
        """Post (in the incident's thread when there is one); returns ``(channel_id, ts)``."""
        ...

    def update(self, channel: str, ts: str, text: str, blocks: list[dict[str, Any]] | None) -> None: ...


class ConsoleNotifier:
    """Prints messages; answers with made-up but stable-looking channel ids and timestamps."""

    def __init__(self, out: TextIO | None = None) -> None:
        self.out = out
        self._counter = itertools.count(1)
        self._lock = threading.Lock()
        self.posted: list[dict[str, Any]] = []

    def _stream(self) -> TextIO:
        return self.out or sys.stdout

    def post(self, incident_id: str, channel: str, text: str, blocks: list[dict[str, Any]] | None) -> tuple[str, str]:
        text = plain(text)
        with self._lock:
            ts = f"1700000000.{next(self._counter):06d}"
            self.posted.append({"channel": channel, "text": text, "ts": ts, "incident": incident_id})
            body = "\n".join(f"    │ {line}" for line in text.strip().splitlines())
            self._stream().write(f"\n  ┌─ Slack {channel} (printed: SLACK_BOT_TOKEN is not set)\n{body}\n  └─\n")
            self._stream().flush()
        return channel, ts

    def update(self, channel: str, ts: str, text: str, blocks: list[dict[str, Any]] | None) -> None:
        text = plain(text)
        with self._lock:
            self._stream().write(
                f"  ✎ Slack {channel} message updated: {text.strip().splitlines()[0] if text.strip() else ''}\n"
            )
            self._stream().flush()


class UnconfiguredSlack:
    """A deployed stage without a bot token: every post fails by name, nothing is printed."""

    def post(self, incident_id: str, channel: str, text: str, blocks: list[dict[str, Any]] | None) -> tuple[str, str]:
        raise MissingCredential(SLACK_BOT_TOKEN, f"the Slack message to {channel}")

    def update(self, channel: str, ts: str, text: str, blocks: list[dict[str, Any]] | None) -> None:
        self.post("", channel, text, blocks)


class StoreThreadIndex:
    """Incident threads kept in the store, so every Lambda (or process) finds the same thread."""

    def __init__(self, deliveries: Any) -> None:
        self._deliveries = deliveries

    def get(self, key: str) -> ThreadRef | None:
        from ..integrations.slack import ThreadRef

        record = self._deliveries.get_delivery(f"slack-thread:{key}")
        if not record:
            return None
        return ThreadRef(record["channel"], record["ts"])

    def put(self, key: str, ref: ThreadRef) -> ThreadRef:
        from ..integrations.slack import ThreadRef

        try:
            self._deliveries.record_delivery(f"slack-thread:{key}", {"channel": ref.channel, "ts": ref.ts})
        except AlreadyExists as error:
            return ThreadRef(error.existing["channel"], error.existing["ts"])
        return ref


class SlackNotifier:
    def __init__(self, threads: Any, client: Any) -> None:
        self._threads = threads
        self._client = client

    def post(self, incident_id: str, channel: str, text: str, blocks: list[dict[str, Any]] | None) -> tuple[str, str]:
        result: tuple[str, str] = self._threads.post(incident_id, channel, text, blocks)
        return result

    def update(self, channel: str, ts: str, text: str, blocks: list[dict[str, Any]] | None) -> None:
        self._client.update(channel, ts, text, blocks)


def make_notifier(env: Mapping[str, str], store: Any, out: TextIO | None = None) -> Notifier:
    """Slack when ``SLACK_BOT_TOKEN`` is set (``SLACK_API_URL`` honoured); else the terminal in
    the embedded default, and a named configuration error in a deployed stage."""
    if resolve(SLACK_BOT_TOKEN, None, env):
        from ..integrations.slack import IncidentThreads, SlackClient

        client = SlackClient(env=env)
        return SlackNotifier(IncidentThreads(client, StoreThreadIndex(store.deliveries)), client)
    if is_deployed(env):
        return UnconfiguredSlack()
    return ConsoleNotifier(out)
