"""A deployed stage without PAGERDUTY_API_KEY: TEST001 on moto never claims PagerDuty resolved.

The close-pagerduty node fails as MissingCredential, Step Functions retries it (the
definition's Retry lists the class), then the flow's error path records the failure and tells
the humans in Slack; the incident stays open in PagerDuty.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from tests.cloud.incidents import ROOT, function_name

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("missing") / "TEST001.json"
    log = out.with_suffix(".log")
    with log.open("w") as sink:
        command = [sys.executable, "-m", "tests.cloud.incidents", "cloud-without-pagerduty-key", "TEST001", str(out)]
        subprocess.run(command, cwd=ROOT, stdout=sink, stderr=sink, timeout=300, check=False)
    assert out.exists(), log.read_text()[-3000:]
    result: dict[str, Any] = json.loads(out.read_text())
    assert "error" not in result, result.get("traceback")
    return result


def test_the_pagerduty_close_fails_by_name_is_retried_and_takes_the_error_path(run: dict[str, Any]) -> None:
    assert run["invocations"].count(function_name("http_node")) == 4  # the first try and 3 retries
    assert run["states"][-3:] == ["close-pagerduty", "flow failed", "Failed"]
    assert run["status"] == "FAILED" and run["outcome"] == "failed"
    assert run["pagerduty_status"] == "triggered"  # nobody pretended to resolve it
    assert any("close_pagerduty failed: MissingCredential" in text for text in run["slack_texts"])
    assert "NodeFailed" in [e["type"] for e in run["events"]]
