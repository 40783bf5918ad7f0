"""``aofctl serve`` refuses an oversized body before reading it: a real server process, and
clients that declare (or stream) far more than any route accepts."""

from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.local.serve.conftest import TOKEN, Server
from tests.local.serve.test_serve import QUICK, incident_body

DECLARED = 300 * 1024 * 1024
ROUTES = ("/pagerduty/webhook", "/slack/interactivity", "/slack/events")


@pytest.fixture
def server(servers: Callable[..., Server], tmp_path: Path) -> Server:
    (tmp_path / "flows").mkdir()
    (tmp_path / "flows" / "quick.yaml").write_text(QUICK)
    env = {**os.environ, "PAGERDUTY_WEBHOOK_TOKEN": TOKEN, "AOF_WEBHOOK_FLOW": "quick", "PYTHONUNBUFFERED": "1"}
    env["SLACK_SIGNING_SECRET"] = "limits-signing-secret"
    env.pop("SLACK_BOT_TOKEN", None)
    return servers(tmp_path / "state", env, ("-f", str(tmp_path / "flows")))


def exchange(server: Server, head: str, sent: bytes, timeout: float = 10.0) -> tuple[int, bytes]:
    """Send a request head and the first bytes of its body, then read the answer."""
    address = urlsplit(server.url)
    with socket.create_connection((address.hostname, address.port), timeout=timeout) as sock:
        sock.sendall(head.encode() + sent)
        answer = b""
        while b"\r\n\r\n" not in answer or len(answer) < answer.index(b"\r\n\r\n") + 4 + _length(answer):
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
    status = int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/") else 0
    return status, answer.split(b"\r\n\r\n", 1)[-1]


def _length(answer: bytes) -> int:
    for line in answer.split(b"\r\n\r\n", 1)[0].split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value.strip())
    return 0


@pytest.mark.parametrize("path", ROUTES)
def test_a_300_mb_declared_body_is_refused_from_its_length_alone(server: Server, path: str) -> None:
    head = (
        f"POST {path} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {TOKEN}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {DECLARED}\r\n\r\n"
    )
    started = time.monotonic()
    status, body = exchange(server, head, b"{" + b" " * 4096)
    assert status == 413, body
    answer = json.loads(body)
    assert answer["error"] == "PayloadTooLarge" and "limit" in answer["message"]
    assert time.monotonic() - started < 10, "answered without waiting for 300 MB that never comes"
    assert server.get("/healthz") == (200, {"ok": True}), "the server still answers"


def test_a_chunked_body_is_read_only_up_to_the_limit(server: Server) -> None:
    head = (
        "POST /pagerduty/webhook HTTP/1.1\r\nHost: localhost\r\n"
        f"Authorization: Bearer {TOKEN}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    piece = b"x" * 65536
    chunk = f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
    status, body = exchange(server, head, chunk * 40)  # 2.5 MB sent, never a last chunk
    assert status == 413, body
    assert server.get("/healthz") == (200, {"ok": True})


def test_a_chunked_body_within_the_limit_is_read_whole(server: Server) -> None:
    data = incident_body(7)
    head = (
        "POST /pagerduty/webhook HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
        f"Authorization: Bearer {TOKEN}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    half = len(data) // 2
    chunks = b"".join(f"{len(p):x}\r\n".encode() + p + b"\r\n" for p in (data[:half], data[half:])) + b"0\r\n\r\n"
    status, body = exchange(server, head, chunks)
    assert status == 202, body
    assert json.loads(body)["duplicate"] is False


def test_an_unsigned_slack_request_is_refused_before_its_body_is_parsed(server: Server) -> None:
    status, answer = server.post("/slack/events", b"{not json", {"Content-Type": "application/json"})
    assert status == 401, answer


def test_a_client_that_asks_before_sending_is_told_413_not_continue(server: Server) -> None:
    head = (
        "POST /pagerduty/webhook HTTP/1.1\r\nHost: localhost\r\nExpect: 100-continue\r\n"
        f"Authorization: Bearer {TOKEN}\r\nContent-Type: application/json\r\nContent-Length: {DECLARED}\r\n\r\n"
    )
    status, body = exchange(server, head, b"")
    assert status == 413, body
