"""The same event run again, against the sandbox cluster: a duplicate says it is one (which run,
how it ended) and changes nothing; ``--rerun`` runs it again on purpose; a second ``aofctl run``
while the first is going follows its live view instead of driving it a second time."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from chalicelib.store import open_store
from sandbox.testing import Sandbox, running_sandbox
from tests.local.cli.test_run_stop import ROOT, RUN, mutations, run_env
from tests.support.processes import Processes


@pytest.fixture
def cluster() -> Iterator[Sandbox]:
    with running_sandbox("test001-high-memory", speed=3.0) as sb:
        yield sb


def runs(state: Path) -> list[tuple[str, str | None]]:
    store = open_store(f"sqlite:///{state / 'aof.db'}")
    try:
        return sorted((r.run_id, r.outcome) for r in store.runs.list_runs())
    finally:
        store.close()


def aofctl(processes: Processes, args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    started = processes.start(args, env=env, cwd=ROOT, stdout=-1, stderr=-1, text=True)
    out, err = started.communicate(timeout=180)
    return subprocess.CompletedProcess(args, started.returncode, out, err)


def test_the_same_event_again_says_duplicate_and_rerun_runs_it_again(
    processes: Processes, cluster: Sandbox, tmp_path: Path
) -> None:
    state = tmp_path / "state"
    env = run_env(cluster, 1)
    first = aofctl(processes, [*RUN, "--state-dir", str(state)], env)
    assert first.returncode == 0, first.stdout + first.stderr
    ((run_id, outcome),) = runs(state)
    changes = len(mutations(cluster))
    assert changes > 0

    again = aofctl(processes, [*RUN, "--state-dir", str(state)], env)
    assert again.returncode == 0, again.stderr
    assert f"Duplicate: this event already ran as run {run_id}" in again.stdout
    assert f"outcome {outcome}). Nothing was run again." in again.stdout
    assert "--event examples/events/test001.json --rerun" in again.stdout
    assert "Summary" in again.stdout and "remediate" in again.stdout
    assert len(mutations(cluster)) == changes, "a duplicate touched the cluster"
    assert runs(state) == [(run_id, outcome)]

    # On purpose: a run of its own that diagnoses again (the cluster, fixed by now, needs no change).
    rerun = aofctl(processes, [*RUN, "--state-dir", str(state), "--rerun"], env)
    assert "Duplicate" not in rerun.stdout
    new_id = re.search(r"Flow incident-auto-response, run (pd-TEST001-rerun-\S+)", rerun.stdout)
    assert new_id and new_id[1] != run_id, rerun.stdout + rerun.stderr
    assert "▶ diagnose" in rerun.stdout and "Outcome: " in rerun.stdout
    assert dict(runs(state)).keys() == {run_id, new_id[1]}
    assert dict(runs(state))[new_id[1]] is not None, "the rerun did not finish"


def test_a_second_run_while_the_first_goes_on_follows_its_live_view(
    processes: Processes, cluster: Sandbox, tmp_path: Path
) -> None:
    state = tmp_path / "state"
    env = run_env(cluster, 8)  # a watch long enough to attach during it
    first = processes.terminal([*RUN, "--state-dir", str(state)], env=env, cwd=ROOT)
    first.wait_for("⏱ remediate: watching")

    second = aofctl(processes, [*RUN, "--state-dir", str(state)], env)
    assert first.wait() == 0, first.text
    assert second.returncode == 0, second.stdout + second.stderr
    ((run_id, _outcome),) = runs(state)
    assert f"Run {run_id} is already in progress (driven by process" in second.stdout
    following = second.stdout.split("Ctrl-C stops following; the run goes on.", 1)[1]
    # From where it is: the steps already done, the watch under way, then the rest as it came.
    for line in ("✓ diagnose", "▶ remediate", "⏱ remediate: watching", "✓ remediate", "Summary", "Outcome:"):
        assert line in following, (line, following)
    assert following.index("✓ diagnose") < following.index("✓ remediate") < following.index("Summary")
    restarts = [a for a in mutations(cluster) if a.get("method") == "PATCH"]
    assert len(restarts) == 1, f"the run was driven twice: {restarts}"
