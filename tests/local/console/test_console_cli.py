"""``aofctl console``: serve with the console; on a machine with no display it prints the URL."""

from __future__ import annotations

import http.cookiejar
import os
import re
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

from tests.support.processes import Processes

ROOT = Path(__file__).resolve().parents[3]


def test_console_on_a_machine_without_a_display_prints_where_to_sign_in(tmp_path: Path, processes: Processes) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env["PYTHONUNBUFFERED"] = "1"
    cmd = [sys.executable, "-m", "chalicelib.cli.main", "console", "--port", "0", "--state-dir", str(tmp_path)]
    # Stopped, with whatever it started, when the test ends (the processes fixture).
    proc = processes.start(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    ready = threading.Event()

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)
            if "listening on" in line:
                ready.set()
        ready.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    assert ready.wait(90), "".join(lines)
    text = "".join(lines)
    (url,) = re.findall(r"console:\s+(http://\S+) \(signs in as", text)
    assert url.startswith("http://127.0.0.1:"), "bound to the loopback address by default"
    assert "no display here: open the URL above in a browser" in text
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    with browser.open(url, timeout=30) as answer:
        assert answer.status == 200 and "<h1>Runs</h1>" in answer.read().decode()
