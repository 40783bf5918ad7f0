"""Fixtures every test directory may use, and the suite's one rule about skips: there are none.

A test that cannot run here (a tool missing, a service unreachable) fails and says why; a skip
would let a machine that tested nothing report green.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.processes import processes  # noqa: F401  (fixture: started processes are always stopped)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome: Any = yield
    report: pytest.TestReport = outcome.get_result()
    if report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        reason = reason.removeprefix("Skipped: ")
        report.outcome = "failed"
        report.longrepr = f"skipped ({reason}): this suite has no skips; make the test run here, or fail it"
