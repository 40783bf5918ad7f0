"""A real ``aofctl serve`` (with its console) on a sandbox cluster, fake Slack and PagerDuty,
and headless Chromium to look at it. Everything started is stopped at teardown."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.pagerduty_api import FakePagerDutyAPI
from tests.fakes.slack_api import FakeSlackAPI
from tests.local.console.browser import Chromium
from tests.local.flows.conftest import TITLES, tutorial_env
from tests.local.routes.support import BOT_TOKEN, PAGERDUTY_KEY
from tests.local.serve.conftest import Server

SIGN_IN = re.compile(r"console:\s+(?P<url>http://\S+) \(signs in as (?P<name>[^;]+);")


@dataclass
class Served:
    server: Server
    slack: FakeSlackAPI
    pagerduty: FakePagerDutyAPI
    cluster: Any
    env: dict[str, str]
    state_dir: Path

    def sign_in_urls(self) -> dict[str, str]:
        """Each person's sign-in URL, as the start banner prints it."""
        return {m["name"]: m["url"] for line in self.server.lines if (m := SIGN_IN.search(line))}


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Callable[..., Served]]:
    """``start(incident, people)`` -> an ``aofctl serve`` playing the tutorial on a sandbox."""
    from sandbox.testing import running_sandbox

    stack = ExitStack()

    def start(incident: str, people: tuple[str, ...], scenario: str) -> Served:
        cluster = stack.enter_context(running_sandbox(scenario, speed=3.0))
        slack = stack.enter_context(FakeSlackAPI(tokens=(BOT_TOKEN,)))
        pagerduty = stack.enter_context(FakePagerDutyAPI(api_key=PAGERDUTY_KEY))
        pagerduty.add_incident(incident, title=TITLES[incident])
        state = tmp_path / "state"
        env = {**tutorial_env(cluster, slack, pagerduty, state), "PYTHONUNBUFFERED": "1"}
        env.pop("AOF_STATE_DIR")
        extra = tuple(arg for name in people for arg in ("--console-user", name))
        server = Server(state, env, extra)
        stack.callback(server.kill)
        return Served(server, slack, pagerduty, cluster, env, state)

    with stack:
        yield start


@pytest.fixture
def chromium(tmp_path: Path) -> Iterator[Callable[[], Chromium]]:
    opened: list[Chromium] = []

    def open_browser() -> Chromium:
        browser = Chromium(tmp_path / f"profile-{len(opened)}")
        opened.append(browser)
        return browser

    try:
        yield open_browser
    finally:
        with ExitStack() as stack:  # every browser is closed, even when closing one fails
            for browser in opened:
                stack.callback(browser.close)


def screenshot_target() -> Path | None:
    """Where the README's screenshot goes, when ``AOF_CONSOLE_SCREENSHOT`` asks for one."""
    value = os.environ.get("AOF_CONSOLE_SCREENSHOT")
    return Path(value) if value else None
