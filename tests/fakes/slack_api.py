"""A fake Slack Web API on 127.0.0.1 that ``slack_sdk.WebClient(base_url=fake.url + "/api/")`` talks to.

Speaks the real protocol: form, query or JSON bodies, ``Authorization: Bearer xoxb-...``,
``{"ok": true, ...}`` / ``{"ok": false, "error": "..."}`` answers, 429 with ``Retry-After``.
Records every call and keeps posted messages and reactions so tests can assert what a person
in the channel would see. Also checks the Block Kit limits Slack enforces (50 blocks, 3,000
characters per section), so a payload Slack would refuse is refused here too.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Self

import pytest
from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.wrappers import Request, Response


class ThreadedFakeServer:
    """A threaded werkzeug server on an ephemeral port; a context manager. Shared by the fakes."""

    def __init__(self) -> None:
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self.lock = threading.RLock()

    def handle(self, request: Request) -> Response:
        raise NotImplementedError

    def _wsgi(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        request = Request(environ)
        with self.lock:
            response = self.handle(request)
        return response(environ, start_response)

    @property
    def url(self) -> str:
        assert self._server is not None, "server not started"
        return f"http://127.0.0.1:{self._server.server_port}"

    def start(self) -> Self:
        self._server = make_server("127.0.0.1", 0, self._wsgi, threaded=True)
        # A short poll interval makes shutdown (each test's teardown) quick.
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def json_response(payload: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(payload), status=status, headers=headers or {}, content_type="application/json")


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    status: int = 200


@dataclass
class Message:
    channel: str
    ts: str
    text: str
    blocks: list[dict[str, Any]]
    thread_ts: str | None = None
    reactions: list[str] = field(default_factory=list)
    history: list[dict[str, Any]] = field(default_factory=list)


BOT_USER_ID = "U0AOFBOT"
DEFAULT_CHANNELS = {"C0INCIDENTS": "incidents", "C0POSTMORTEM": "sre-postmortems"}
DEFAULT_USERS = {
    "U0APPROVER1": {"name": "alice", "real_name": "Alice Approver", "tz": "Europe/Paris"},
    "U0APPROVER2": {"name": "bob", "real_name": "Bob Builder", "tz": "UTC"},
    BOT_USER_ID: {"name": "aof", "real_name": "AOF bot", "is_bot": True},
}


class FakeSlackAPI(ThreadedFakeServer):
    def __init__(self, tokens: tuple[str, ...] = ("xoxb-test-token",)) -> None:
        super().__init__()
        self.tokens = set(tokens)
        self.channels = dict(DEFAULT_CHANNELS)
        self.users = {uid: dict(info) for uid, info in DEFAULT_USERS.items()}
        self.usergroups: dict[str, list[str]] = {"S0ONCALL": ["U0APPROVER1", "U0APPROVER2"]}
        self.calls: list[Call] = []
        self.messages: dict[tuple[str, str], Message] = {}
        self._clock = itertools.count(1763630100)
        self._failures: list[tuple[int, int]] = []  # (status, retry_after)

    @property
    def api_url(self) -> str:
        """What ``WebClient(base_url=...)`` takes."""
        return self.url + "/api/"

    # --- test controls ------------------------------------------------------------------

    def fail_next(self, count: int, status: int = 429, retry_after: int = 1) -> None:
        """Answer the next ``count`` calls with ``status`` (429 carries ``Retry-After``)."""
        with self.lock:
            self._failures.extend([(status, retry_after)] * count)

    def calls_to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method and c.status == 200]

    def channel_messages(self, channel_id: str) -> list[Message]:
        return [m for (c, _), m in self.messages.items() if c == channel_id and m.thread_ts is None]

    def replies(self, channel_id: str, thread_ts: str) -> list[Message]:
        return [m for (c, _), m in self.messages.items() if c == channel_id and m.thread_ts == thread_ts]

    # --- protocol -------------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        method = request.path.removeprefix("/api/")
        params = self._params(request)
        call = Call(method, params)
        self.calls.append(call)
        if self._failures:
            status, retry_after = self._failures.pop(0)
            call.status = status
            if status == 429:
                return json_response({"ok": False, "error": "ratelimited"}, 429, {"Retry-After": str(retry_after)})
            return Response("upstream failure", status=status)
        auth = request.headers.get("Authorization", "")
        if not auth.startswith("Bearer "):
            return json_response({"ok": False, "error": "not_authed"})
        if auth.removeprefix("Bearer ") not in self.tokens:
            return json_response({"ok": False, "error": "invalid_auth"})
        handler = getattr(self, "_" + method.replace(".", "_"), None)
        if handler is None:
            return json_response({"ok": False, "error": "unknown_method"})
        result: dict[str, Any] = handler(params)
        return json_response(result)

    @staticmethod
    def _params(request: Request) -> dict[str, Any]:
        params: dict[str, Any] = dict(request.args.items())
        if request.mimetype == "application/json":
            params.update(request.get_json(silent=True) or {})
        else:
            params.update(request.form.items())
        return params

    def _channel_id(self, channel: str) -> str | None:
        if channel in self.channels:
            return channel
        name = channel.removeprefix("#")
        return next((cid for cid, cname in self.channels.items() if cname == name), None)

    @staticmethod
    def _blocks(params: dict[str, Any]) -> list[dict[str, Any]] | str:
        blocks = params.get("blocks") or []
        if isinstance(blocks, str):
            try:
                blocks = json.loads(blocks)
            except ValueError:
                return "invalid_blocks_format"
        if not isinstance(blocks, list) or len(blocks) > 50:
            return "invalid_blocks"
        for block in blocks:
            text = (block.get("text") or {}).get("text", "") if isinstance(block, dict) else ""
            if block.get("type") == "section" and not 0 < len(text) <= 3000:
                return "invalid_blocks"
            if block.get("type") == "actions" and not 0 < len(block.get("elements", [])) <= 25:
                return "invalid_blocks"
        return blocks

    def _chat_postMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel_id(str(params.get("channel", "")))
        if channel is None:
            return {"ok": False, "error": "channel_not_found"}
        blocks = self._blocks(params)
        if isinstance(blocks, str):
            return {"ok": False, "error": blocks}
        text = str(params.get("text") or "")
        if not text and not blocks:
            return {"ok": False, "error": "no_text"}
        thread_ts = params.get("thread_ts") or None
        if thread_ts and (channel, thread_ts) not in self.messages:
            return {"ok": False, "error": "thread_not_found"}
        ts = f"{next(self._clock)}.000200"
        self.messages[(channel, ts)] = Message(channel, ts, text, blocks, thread_ts)
        message = {"type": "message", "user": BOT_USER_ID, "text": text, "ts": ts, "blocks": blocks}
        if thread_ts:
            message["thread_ts"] = thread_ts
        return {"ok": True, "channel": channel, "ts": ts, "message": message}

    def _chat_update(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = str(params.get("channel", ""))
        if channel not in self.channels:
            return {"ok": False, "error": "channel_not_found"}
        message = self.messages.get((channel, str(params.get("ts", ""))))
        if message is None:
            return {"ok": False, "error": "message_not_found"}
        blocks = self._blocks(params)
        if isinstance(blocks, str):
            return {"ok": False, "error": blocks}
        message.history.append({"text": message.text, "blocks": message.blocks})
        message.text = str(params.get("text") or message.text)
        message.blocks = blocks
        return {"ok": True, "channel": channel, "ts": message.ts, "text": message.text}

    def _reactions_add(self, params: dict[str, Any]) -> dict[str, Any]:
        message = self.messages.get((str(params.get("channel", "")), str(params.get("timestamp", ""))))
        if message is None:
            return {"ok": False, "error": "message_not_found"}
        name = str(params.get("name", ""))
        if name in message.reactions:
            return {"ok": False, "error": "already_reacted"}
        message.reactions.append(name)
        return {"ok": True}

    def _auth_test(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "url": "https://acme.slack.com/",
            "team": "Acme",
            "user": "aof",
            "team_id": "T0ACME",
            "user_id": BOT_USER_ID,
            "bot_id": "B0AOFBOT",
        }

    def _users_info(self, params: dict[str, Any]) -> dict[str, Any]:
        user_id = str(params.get("user", ""))
        if user_id not in self.users:
            return {"ok": False, "error": "user_not_found"}
        return {"ok": True, "user": {"id": user_id, "team_id": "T0ACME", **self.users[user_id]}}

    def _usergroups_users_list(self, params: dict[str, Any]) -> dict[str, Any]:
        group = str(params.get("usergroup", ""))
        if group not in self.usergroups:
            return {"ok": False, "error": "no_such_subteam"}
        return {"ok": True, "users": list(self.usergroups[group])}

    def _conversations_info(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = str(params.get("channel", ""))
        if channel not in self.channels:
            return {"ok": False, "error": "channel_not_found"}
        return {"ok": True, "channel": {"id": channel, "name": self.channels[channel], "is_channel": True}}


@pytest.fixture
def fake_slack() -> Iterator[FakeSlackAPI]:
    with FakeSlackAPI() as server:
        yield server
