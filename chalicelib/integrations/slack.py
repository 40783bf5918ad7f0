"""Slack Web API wrapper over ``slack_sdk.WebClient`` plus the thread-per-incident helper.

Throttling (429 + ``Retry-After``), 500/503 answers and connection resets are retried by
slack_sdk's own retry handlers (with an injectable sleep); what still fails becomes
:class:`ServiceUnavailable`, and Slack's ``ok: false`` answers become :class:`ServiceError`
carrying Slack's error code. The token never appears in errors or ``repr``.
"""

from __future__ import annotations

import time
import urllib.error
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple, Protocol

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.handler import RetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

from chalicelib.errors import ConfigurationError, ServiceError, ServiceUnavailable
from chalicelib.integrations.slack_blocks import (
    approval_blocks,
    decided_blocks,
    fallback_text,
    markdown_to_blocks,
    timed_out_blocks,
)
from chalicelib.settings import SLACK_API_URL, SLACK_BOT_TOKEN, resolve

__all__ = [
    "InMemoryThreadIndex",
    "IncidentThreads",
    "SlackClient",
    "ThreadIndex",
    "ThreadRef",
    "approval_blocks",
    "decided_blocks",
    "markdown_to_blocks",
    "timed_out_blocks",
]

DEFAULT_API_URL = "https://slack.com/api/"
Sleep = Callable[[float], None]


class SlackClient:
    def __init__(
        self,
        token: str | None = None,
        *,
        base_url: str | None = None,
        env: Mapping[str, str] | None = None,
        timeout: int = 10,
        max_retries: int = 2,
        backoff: float = 0.5,
        max_retry_after: float = 30.0,
        sleep: Sleep = time.sleep,
    ) -> None:
        key = resolve(SLACK_BOT_TOKEN, token, env)
        if not key:
            raise ConfigurationError(f"Slack bot token missing: set {SLACK_BOT_TOKEN}")
        url = resolve(SLACK_API_URL, base_url, env, DEFAULT_API_URL) or DEFAULT_API_URL
        self.base_url = url if url.endswith("/") else url + "/"
        self.web = WebClient(
            token=key,
            base_url=self.base_url,
            timeout=timeout,
            retry_handlers=retry_handlers(max_retries, backoff, max_retry_after, sleep),
        )

    def __repr__(self) -> str:
        return f"SlackClient(base_url={self.base_url!r})"

    def post(
        self,
        channel: str,
        text: str,
        blocks: list[dict[str, Any]] | None = None,
        thread_ts: str | None = None,
    ) -> tuple[str, str]:
        """Post a message; returns ``(channel_id, ts)`` (Slack answers with the channel's id).

        ``text`` is plain text (the notification and fallback): it is escaped, so nothing in it
        mentions anyone or links anywhere; markup belongs in ``blocks``.
        """
        answer = self._call(
            "chat.postMessage",
            channel=channel,
            text=fallback_text(text),
            blocks=blocks,
            thread_ts=thread_ts,
            unfurl_links=False,
        )
        return str(answer["channel"]), str(answer["ts"])

    def update(self, channel: str, ts: str, text: str, blocks: list[dict[str, Any]] | None = None) -> None:
        # ``blocks=[]`` clears the blocks (removes buttons); None would leave the old ones.
        self._call(
            "chat.update", channel=channel, ts=ts, text=fallback_text(text), blocks=blocks if blocks is not None else []
        )

    def add_reaction(self, channel: str, ts: str, name: str) -> None:
        try:
            self._call("reactions.add", channel=channel, timestamp=ts, name=name)
        except ServiceError as error:
            if error.details.get("slack_error") != "already_reacted":
                raise

    def bot_user_id(self) -> str:
        return str(self._call("auth.test")["user_id"])

    def user_info(self, user_id: str) -> dict[str, Any]:
        user = self._call("users.info", user=user_id)["user"]
        return dict(user) if isinstance(user, dict) else {}

    def usergroup_members(self, usergroup_id: str) -> list[str]:
        return [str(u) for u in self._call("usergroups.users.list", usergroup=usergroup_id).get("users", [])]

    def channel_info(self, channel_id: str) -> dict[str, Any]:
        channel = self._call("conversations.info", channel=channel_id)["channel"]
        return dict(channel) if isinstance(channel, dict) else {}

    def _call(self, method: str, **params: Any) -> dict[str, Any]:
        body = {key: value for key, value in params.items() if value is not None}
        try:
            if method.startswith("chat."):  # Slack takes JSON bodies for these; reads take form fields
                response = self.web.api_call(method, json=body)
            else:
                response = self.web.api_call(method, params=body)
        except SlackApiError as error:
            status = error.response.status_code
            code = str(error.response.get("error", "unknown_error"))
            if status == 429 or status >= 500:
                raise ServiceUnavailable(f"Slack {method} -> {status} ({code})", status=status) from None
            raise ServiceError(f"Slack {method} failed: {code}", slack_error=code, status=status) from None
        except (SlackRequestError, urllib.error.URLError, TimeoutError, ConnectionError) as error:
            raise ServiceUnavailable(f"Slack {method} failed: {type(error).__name__}") from None
        data = response.data
        return data if isinstance(data, dict) else {}


# --- retries --------------------------------------------------------------------------------


class _RateLimitRetry(RateLimitErrorRetryHandler):
    """slack_sdk's handler sleeps with ``time.sleep``; same rule, injectable sleep, capped wait."""

    def __init__(self, max_retry_count: int, max_wait: float, sleep: Sleep) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self._sleep, self._max_wait = sleep, max_wait

    def prepare_for_next_attempt(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        wait = 1.0
        headers = response.headers if response is not None else {}
        for name, values in headers.items():
            if name.lower() == "retry-after" and values:
                try:
                    wait = float(values[0])
                except ValueError:
                    pass
        state.next_attempt_requested = True
        self._sleep(min(max(wait, 0.0), self._max_wait))
        state.increment_current_attempt()


class _BackoffMixin(RetryHandler):
    _sleep: Sleep
    _backoff: float

    def prepare_for_next_attempt(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        state.next_attempt_requested = True
        self._sleep(self._backoff * 2**state.current_attempt)
        state.increment_current_attempt()


class _ServerErrorRetry(_BackoffMixin, ServerErrorRetryHandler):
    def __init__(self, max_retry_count: int, backoff: float, sleep: Sleep) -> None:
        ServerErrorRetryHandler.__init__(self, max_retry_count=max_retry_count)
        self._sleep, self._backoff = sleep, backoff


class _ConnectionRetry(_BackoffMixin, ConnectionErrorRetryHandler):
    def __init__(self, max_retry_count: int, backoff: float, sleep: Sleep) -> None:
        ConnectionErrorRetryHandler.__init__(self, max_retry_count=max_retry_count)
        self._sleep, self._backoff = sleep, backoff


def retry_handlers(max_retries: int, backoff: float, max_retry_after: float, sleep: Sleep) -> list[RetryHandler]:
    return [
        _RateLimitRetry(max_retries, max_retry_after, sleep),
        _ServerErrorRetry(max_retries, backoff, sleep),
        _ConnectionRetry(max_retries, backoff, sleep),
    ]


# --- one thread per incident ----------------------------------------------------------------


class ThreadRef(NamedTuple):
    channel: str
    ts: str


class ThreadIndex(Protocol):
    """Where an incident's thread lives (the lead backs this with the store)."""

    def get(self, key: str) -> ThreadRef | None: ...

    def put(self, key: str, ref: ThreadRef) -> ThreadRef:
        """Store ``ref`` unless a thread is already recorded; return the one that is kept."""
        ...


class InMemoryThreadIndex:
    def __init__(self) -> None:
        self._threads: dict[str, ThreadRef] = {}

    def get(self, key: str) -> ThreadRef | None:
        return self._threads.get(key)

    def put(self, key: str, ref: ThreadRef) -> ThreadRef:
        return self._threads.setdefault(key, ref)


class IncidentThreads:
    """The first message about an incident goes to the channel; later ones go into its thread.

    Threads are kept per incident *and* channel, so a flow posting to two channels gets one
    thread in each.
    """

    def __init__(self, slack: SlackClient, index: ThreadIndex) -> None:
        self._slack = slack
        self._index = index

    def post(
        self, incident_id: str, channel: str, text: str, blocks: list[dict[str, Any]] | None = None
    ) -> tuple[str, str]:
        key = f"{incident_id}|{channel}"
        thread = self._index.get(key)
        if thread is not None:
            return self._slack.post(thread.channel, text, blocks, thread_ts=thread.ts)
        channel_id, ts = self._slack.post(channel, text, blocks)
        self._index.put(key, ThreadRef(channel_id, ts))
        return channel_id, ts

    def thread_of(self, incident_id: str, channel: str) -> ThreadRef | None:
        return self._index.get(f"{incident_id}|{channel}")
