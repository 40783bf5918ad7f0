"""Does ``aofctl serve`` keep its memory when clients post huge bodies?

Starts a real ``aofctl serve`` and, from several threads at once, posts bodies of
``--megabytes`` to ``/pagerduty/webhook``: some declare their length (and really send the
bytes, as fast as the server takes them), some send them chunked with no length. Reads the
server's resident memory (``VmRSS`` and the peak ``VmHWM`` in ``/proc/PID/status``) before and
after, and how long each client waited for its answer.

    .venv/bin/python bench/body_limits.py [--megabytes 300] [--parallel 4]
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "bench-webhook-token"
PIECE = b"x" * (1024 * 1024)


def memory_kb(pid: int) -> dict[str, int]:
    found: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            found[name] = int(value.split()[0])
    return found


def start_server(state: Path) -> tuple[subprocess.Popen[str], int]:
    env = {**os.environ, "PAGERDUTY_WEBHOOK_TOKEN": TOKEN, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "chalicelib.cli.main", "serve", "--port", "0", "--state-dir", str(state)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert proc.stdout is not None
    for line in proc.stdout:
        if "listening on " in line:
            port = int(line.rsplit(":", 1)[1].split()[0].strip("/"))
            threading.Thread(target=lambda: [None for _ in proc.stdout], daemon=True).start()  # type: ignore[union-attr]
            return proc, port
    raise RuntimeError("aofctl serve did not start")


def post(port: int, megabytes: int, chunked: bool, results: list[tuple[str, float, str]]) -> None:
    head = f"POST /pagerduty/webhook HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {TOKEN}\r\n"
    head += "Content-Type: application/json\r\n"
    head += "Transfer-Encoding: chunked\r\n\r\n" if chunked else f"Content-Length: {megabytes * len(PIECE)}\r\n\r\n"
    started = time.monotonic()
    sent = 0
    status = "no answer"
    with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
        sock.sendall(head.encode())
        try:
            for _ in range(megabytes):
                frame = (f"{len(PIECE):x}\r\n".encode() + PIECE + b"\r\n") if chunked else PIECE
                sock.sendall(frame)
                sent += 1
        except OSError:
            pass  # the server answered and stopped reading: what a refusal looks like
        try:
            answer = sock.recv(4096)
            status = answer.split(b"\r\n", 1)[0].decode(errors="replace")
        except OSError as error:
            status = f"{type(error).__name__} (after the server closed)"
    results.append(("chunked" if chunked else "declared", time.monotonic() - started, f"{status}; {sent} MB sent"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--megabytes", type=int, default=300)
    parser.add_argument("--parallel", type=int, default=4)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as state:
        proc, port = start_server(Path(state))
        try:
            time.sleep(1.0)
            before = memory_kb(proc.pid)
            results: list[tuple[str, float, str]] = []
            threads = [
                threading.Thread(target=post, args=(port, args.megabytes, i % 2 == 1, results))
                for i in range(args.parallel)
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            after = memory_kb(proc.pid)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    print(f"{args.parallel} parallel posts of {args.megabytes} MB to aofctl serve's /pagerduty/webhook")
    for kind, seconds, status in sorted(results):
        print(f"  {kind:8s} answered in {seconds * 1000:7.0f} ms: {status}")
    print(f"  server RSS before: {before['VmRSS'] / 1024:7.1f} MB")
    print(f"  server RSS after:  {after['VmRSS'] / 1024:7.1f} MB (peak {after['VmHWM'] / 1024:.1f} MB)")
    print(f"  growth:            {(after['VmHWM'] - before['VmRSS']) / 1024:7.1f} MB at the peak")


if __name__ == "__main__":
    main()
