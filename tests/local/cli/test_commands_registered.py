"""Every command is registered explicitly: one that cannot be imported stops aofctl loudly, and
``aofctl sandbox up|down|list`` work as the README says."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.support.processes import Processes

ROOT = Path(__file__).resolve().parents[3]
AOFCTL = [sys.executable, "-m", "chalicelib.cli.main"]


def aofctl(*args: str, env: dict[str, str], cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*AOFCTL, *args], capture_output=True, text=True, timeout=60, cwd=cwd, env=env)


def test_a_command_whose_module_fails_to_import_stops_aofctl_with_the_reason(tmp_path: Path) -> None:
    # A `sandbox` package whose dependency is missing shadows the real one: the sandbox command
    # cannot be imported. That must be an error naming the reason, not an aofctl without `sandbox`.
    broken = tmp_path / "shadow" / "sandbox"
    broken.mkdir(parents=True)
    (broken / "__init__.py").write_text(
        "raise ModuleNotFoundError(\"No module named 'kubernetes_stand_in'\", name='kubernetes_stand_in')\n"
    )
    env = {**os.environ, "PYTHONPATH": f"{tmp_path / 'shadow'}{os.pathsep}{ROOT}"}
    result = aofctl("validate", str(ROOT / "agents"), str(ROOT / "flows"), env=env, cwd=tmp_path)
    assert result.returncode != 0
    assert "No module named 'kubernetes_stand_in'" in result.stderr
    assert "ok:" not in result.stdout


def test_sandbox_list_names_the_scenarios(tmp_path: Path) -> None:
    result = aofctl("sandbox", "list", env={**os.environ, "AOF_STATE_DIR": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    assert "test001-high-memory" in result.stdout


def test_sandbox_up_prints_the_kubeconfig_and_down_stops_it(tmp_path: Path, processes: Processes) -> None:
    env = {**os.environ, "AOF_STATE_DIR": str(tmp_path / "state")}
    kubeconfig = tmp_path / "kc.yaml"
    up = processes.start(
        [*AOFCTL, "sandbox", "up", "--scenario", "false-alarm", "--kubeconfig", str(kubeconfig), "--speed", "3"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env=env,
    )
    assert up.stdout is not None
    assert up.stdout.readline().strip() == f"export KUBECONFIG={kubeconfig}"
    assert "server: http://127.0.0.1:" in kubeconfig.read_text()

    down = aofctl("sandbox", "down", env=env)
    assert down.returncode == 0, down.stderr
    assert f"sandbox false-alarm stopped (pid {up.pid})" in down.stdout
    out, err = up.communicate(timeout=10)
    assert up.returncode == 0, err
    assert "sandbox stopped" in out

    again = aofctl("sandbox", "down", env=env)
    assert again.returncode == 0 and "no sandbox is up" in again.stdout
