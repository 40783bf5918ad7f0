"""Every file path a command prints exists, and printed commands work as pasted: the
log-incident file, aofctl run outside the project root, the daily report by hand, the demo's
closing hints (when aofctl is not on the PATH)."""

from __future__ import annotations

import json
import os
import re
import shlex
import sys
from pathlib import Path

import pytest

from sandbox.demo import closing_lines
from sandbox.testing import running_sandbox
from tests.local.cli.test_run_stop import ROOT, RUN, run_env
from tests.support.processes import Processes
from tests.support.recorded import RecordedIncidents, shared_incidents

EVENT = str(ROOT / "examples" / "events" / "test001.json")


@pytest.fixture(scope="module")
def incidents() -> RecordedIncidents:
    return shared_incidents()


def no_aofctl_on_path() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("AOF_STATE_DIR", "AOF_BACKEND")}
    for name in ("SLACK_BOT_TOKEN", "PAGERDUTY_API_KEY", "ANTHROPIC_API_KEY", "OPENAI_API_KEY"):
        env.pop(name, None)
    venv_bin = str(Path(sys.executable).absolute().parent)
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if p and p != venv_bin)
    return env


def test_the_log_incident_file_the_summary_names_exists(processes: Processes, tmp_path: Path) -> None:
    state = tmp_path / "state"
    with running_sandbox("test001-high-memory", speed=3.0) as sb:
        started = processes.start(
            [*RUN, "--state-dir", str(state)], env=run_env(sb, 1), cwd=ROOT, stdout=-1, stderr=-1, text=True
        )
        out, err = started.communicate(timeout=180)
    assert started.returncode == 0, out + err
    wrote = re.search(r"log_incident\s+succeeded\s+wrote (\S+)", out)
    assert wrote, out
    path = Path(wrote[1])
    assert path == state / "files" / "incident-TEST001.json"
    assert json.loads(path.read_text())["incident_id"] == "TEST001"


def test_aofctl_run_outside_the_project_root_says_where_to_run_it(processes: Processes, tmp_path: Path) -> None:
    started = processes.start(
        [sys.executable, "-m", "chalicelib.cli.main", "run", "incident-auto-response", "--event", EVENT],
        env={**no_aofctl_on_path(), "PYTHONPATH": str(ROOT), "AOF_STATE_DIR": str(tmp_path / "s")},
        cwd=tmp_path,
        stdout=-1,
        stderr=-1,
        text=True,
    )
    out, err = started.communicate(timeout=60)
    assert started.returncode == 1
    assert err == (
        f"error: agents, flows not found in {tmp_path}: run aofctl from the project's root (where agents/ and"
        " flows/ are), or name the YAML with -f FILE_OR_DIR\n"
    )
    assert "Traceback" not in out + err


def test_the_daily_report_runs_by_hand(processes: Processes, incidents: RecordedIncidents) -> None:
    command = [sys.executable, "-m", "chalicelib.cli.main", "run", "post-incident-daily"]
    started = processes.start(
        [*command, "--state-dir", str(incidents.state_dir)],
        env=no_aofctl_on_path(),
        cwd=ROOT,
        stdout=-1,
        stderr=-1,
        text=True,
    )
    out, err = started.communicate(timeout=120)
    assert started.returncode == 0, out + err
    assert "Slack #sre-postmortems" in out
    runs = len(incidents.incidents)
    assert re.search(rf"Daily post-incident report: {runs} run\(s\) since .*, posted to #sre-postmortems", out), out


def test_the_demos_closing_commands_work_as_printed_without_aofctl_on_the_path(
    processes: Processes, incidents: RecordedIncidents
) -> None:
    lines = closing_lines({incidents.incidents[0].incident_id: incidents.state_dir})
    assert f"    {incidents.incidents[0].incident_id}: {incidents.state_dir}" in lines
    commands = [line.strip() for line in lines[lines.index("  Try:") + 1 :]]
    assert len(commands) == 3
    for command in commands:
        assert not command.startswith("aofctl "), "aofctl is not on this PATH"
        started = processes.start(
            shlex.split(command), env=no_aofctl_on_path(), cwd=ROOT, stdout=-1, stderr=-1, text=True
        )
        out, err = started.communicate(timeout=120)
        assert started.returncode == 0, (command, out, err)
        assert "(no runs recorded yet)" not in out
