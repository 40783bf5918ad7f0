"""Headless Chromium (the Debian package) driven through the DevTools protocol.

Just enough of the protocol for the console's tests: open a URL, evaluate script, click
where an element is (real mouse events, as a person clicks), take a screenshot. Chromium and
its profile are removed whatever the outcome (:meth:`Chromium.close`, called by the fixture).
"""

from __future__ import annotations

import base64
import itertools
import json
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Any

import websocket

from tests.support.processes import stop_process


def chromium_path() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    assert found, "chromium is not installed: apt-get update && apt-get install -y chromium"
    return found


class Chromium:
    def __init__(self, profile: Path, width: int = 1400, height: int = 1100) -> None:
        self.profile = profile
        self.proc = subprocess.Popen(
            [
                chromium_path(),
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--remote-debugging-port=0",
                "--remote-allow-origins=*",
                f"--window-size={width},{height}",
                f"--user-data-dir={profile}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # one group: closing ends every process the browser started
        )
        self._ids = itertools.count(1)
        self.ws: Any = None
        try:
            port = self._port()
            targets = self._wait(lambda: self._pages(port), 60, "a page target")
            self.ws = websocket.create_connection(targets[0]["webSocketDebuggerUrl"], timeout=60)
            self.call("Page.enable")
            self.call("Runtime.enable")
            self.call(
                "Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1, mobile=False
            )
        except Exception:
            self.close()
            raise

    def _port(self) -> int:
        marker = self.profile / "DevToolsActivePort"
        text = self._wait(lambda: marker.exists() and marker.read_text().strip(), 60, "DevToolsActivePort")
        return int(text.splitlines()[0])

    @staticmethod
    def _pages(port: int) -> list[dict[str, Any]]:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=5) as answer:
                found: list[dict[str, Any]] = [t for t in json.loads(answer.read()) if t.get("type") == "page"]
                return found
        except OSError:
            return []

    @staticmethod
    def _wait(probe: Any, timeout: float, what: str) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = probe()
            if value:
                return value
            time.sleep(0.1)
        raise AssertionError(f"timed out waiting for {what}")

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        ident = next(self._ids)
        self.ws.send(json.dumps({"id": ident, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == ident:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                result: dict[str, Any] = message.get("result", {})
                return result

    def evaluate(self, expression: str) -> Any:
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result.get("result", {}).get("value")

    def open(self, url: str) -> None:
        self.evaluate("window.__leaving = true")  # gone once the new document is there
        self.call("Page.navigate", url=url)
        self.wait_for("!window.__leaving && document.readyState === 'complete'", what=url)

    def wait_for(self, expression: str, timeout: float = 60.0, what: str | None = None) -> Any:
        return self._wait(lambda: self.evaluate(expression), timeout, what or expression)

    def click(self, selector: str) -> None:
        """A real mouse click in the middle of the element (of its first line, for a wrapped link)."""
        box = self.evaluate(
            f"(() => {{ const el = document.querySelector({json.dumps(selector)}); if (!el) return null;"
            " el.scrollIntoView({block: 'center'}); const r = el.getClientRects()[0] || el.getBoundingClientRect();"
            " return {x: r.left + r.width / 2, y: r.top + r.height / 2}; })()"
        )
        assert box, f"nothing on the page matches {selector}"
        for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent", type=kind, x=box["x"], y=box["y"], button="left", clickCount=1)

    def click_until(self, selector: str, expression: str, attempts: int = 4, each: float = 10.0) -> Any:
        """Click, then wait for ``expression``; click again if the page was redrawn under the
        pointer in between (a live update can replace the element between measure and click)."""
        for attempt in range(attempts):
            self.click(selector)
            try:
                return self.wait_for(expression, timeout=each)
            except AssertionError:
                if attempt == attempts - 1:
                    raise
        return None

    def screenshot(self, path: Path) -> None:
        self.evaluate("window.scrollTo(0, 0)")
        data = self.call("Page.captureScreenshot", format="png")["data"]
        path.write_bytes(base64.b64decode(data))

    def close(self) -> None:
        if self.ws is not None:
            try:
                self.ws.close()
            except Exception:
                pass
        stop_process(self.proc, grace=15)  # the browser and its renderer processes (its group)
