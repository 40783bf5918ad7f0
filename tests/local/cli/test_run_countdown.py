"""The live line of ``aofctl run`` while a change is watched and while an approval is awaited:
what is awaited and how long is left, in a real pseudo-terminal against the sandbox."""

from __future__ import annotations

import re
from pathlib import Path

from sandbox.testing import running_sandbox
from tests.local.cli.test_run_stop import AOFCTL, ROOT, RUN, run_env
from tests.support.processes import Processes


def test_the_watch_of_a_change_shows_how_long_is_left(processes: Processes, tmp_path: Path) -> None:
    with running_sandbox("test001-high-memory", speed=3.0) as sb:
        term = processes.terminal([*RUN, "--state-dir", str(tmp_path / "state")], env=run_env(sb, 6), cwd=ROOT)
        assert term.wait() == 0, term.text
    watching = re.findall(
        r"… remediate: watching rollout restart deployment/api -n production: (\d+)s left \(kept if healthy\)",
        term.text,
    )
    assert watching, term.text
    assert all(0 <= int(left) <= 6 for left in watching)
    assert term.text.index("⏱ remediate: watching") < term.text.index("… remediate: watching")


def test_the_approval_wait_shows_its_id_and_how_long_is_left(processes: Processes, tmp_path: Path) -> None:
    with running_sandbox("test002-postgres-down", speed=3.0) as sb:
        command = [*AOFCTL, "run", "incident-auto-response", "--event", "examples/events/test002.json"]
        term = processes.terminal([*command, "--state-dir", str(tmp_path / "state")], env=run_env(sb, 2), cwd=ROOT)
        term.wait_for("s left (")
        term.ctrl_c()
        assert term.wait() == 130, term.text
    asked = re.search(r"Approval id: (\w+)", term.text)
    assert asked, term.text
    line = re.search(rf"… waiting for approval {asked[1]}: (\d+)m (\d+)s left \((\S+) approve {asked[1]} ", term.text)
    assert line, term.text
    assert 0 < int(line[1]) * 60 + int(line[2]) <= 600  # the flow's approval timeout is 10 minutes
    assert line[3] in ("aofctl", ".venv/bin/aofctl") or line[3].endswith("/aofctl")
