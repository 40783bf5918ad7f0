"""The tutorial's Step 5, Step 8 and Troubleshooting commands, verbatim, against the embedded
default (``AOF_STATE_DIR`` holding real sandbox incidents)."""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import subprocess
import time
from pathlib import Path

from sandbox.testing import running_sandbox
from tests.support.processes import Processes
from tests.support.recorded import ROOT, SECRETS, RecordedIncidents

AOFCTL = str(ROOT / ".venv" / "bin" / "aofctl")


def _env(incidents: RecordedIncidents) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "AOF_BACKEND"}
    env.update(SECRETS)
    env["AOF_STATE_DIR"] = str(incidents.state_dir)
    env["PATH"] = f"{ROOT / '.venv' / 'bin'}:{env.get('PATH', '')}"
    return env


def _shell(command: str, env: dict[str, str], cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, shell=True, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def _no_secrets(text: str) -> None:
    for value in SECRETS.values():
        assert value not in text


def _follow_until(processes: Processes, command: str, env: dict[str, str], marker: str, timeout: float = 60.0) -> str:
    """Run a ``-f`` command until ``marker`` is printed, then interrupt it like Ctrl-C does."""
    process = processes.start(
        shlex.split(command), cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    assert process.stdout is not None
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        seen.append(line)
        if marker in line:
            break
    # SIGINT reaches it whatever the test runner's own disposition (the launcher resets it);
    # should it not stop, the fixture ends it when the test does.
    process.send_signal(signal.SIGINT)
    process.wait(timeout=30)
    assert process.returncode in (0, 130), "".join(seen)
    return "".join(seen)


def test_step8_describe_and_success_rate(incidents: RecordedIncidents) -> None:
    env = _env(incidents)
    described = _shell("aofctl describe agentflow incident-auto-response", env)
    assert described.returncode == 0, described.stderr
    assert "Runs:                4" in described.stdout and "mttr_p90" in described.stdout
    grepped = _shell('aofctl describe agentflow incident-auto-response | grep "success_rate"', env)
    assert grepped.stdout.strip().startswith("success_rate:") and "50.0%" in grepped.stdout
    _no_secrets(described.stdout)


def test_step8_logs_agentflow(incidents: RecordedIncidents) -> None:
    result = _shell("aofctl logs agentflow incident-auto-response", _env(incidents))
    assert result.returncode == 0, result.stderr
    assert all(f"{i.run_id}  RunFinished" in result.stdout for i in incidents.incidents)
    _no_secrets(result.stdout)


def test_step8_logs_agent_follow(incidents: RecordedIncidents, processes: Processes) -> None:
    env = _env(incidents)
    diagnostic = _follow_until(processes, "aofctl logs agent incident-diagnostic -f", env, "tokens:")
    assert "agent incident-diagnostic" in diagnostic and "$ [shell] kubectl get" in diagnostic
    remediation = _follow_until(processes, "aofctl logs agent incident-remediation -f", env, "tokens:")
    assert "agent incident-remediation" in remediation
    _no_secrets(diagnostic + remediation)


def test_troubleshooting_agent_logs_tail(incidents: RecordedIncidents) -> None:
    result = _shell("aofctl agent logs incident-remediation --tail 100", _env(incidents))
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("── ") == 4 and "kubectl rollout undo" in result.stdout


def test_troubleshooting_flow_logs_grep_slack(incidents: RecordedIncidents) -> None:
    result = _shell("aofctl flow logs incident-auto-response | grep slack", _env(incidents))
    lines = result.stdout.strip().splitlines()
    assert lines and all("slack" in line for line in lines)
    assert sum("notify-diagnosis" in line for line in lines) == 4


def test_troubleshooting_agent_exec(incidents: RecordedIncidents) -> None:
    with running_sandbox("test001-high-memory") as cluster:
        env = {**_env(incidents), "KUBECONFIG": cluster.kubeconfig_path}
        result = _shell('aofctl agent exec incident-remediation "Check pod status in production"', env)
    assert result.returncode == 0, result.stderr
    # "Check pod status" names no fix: the remediation agent answers that it changed nothing.
    assert '"action_taken": "none"' in result.stdout and "nothing was changed" in result.stdout
    _no_secrets(result.stdout + result.stderr)


def test_step5_apply(incidents: RecordedIncidents, tmp_path: Path) -> None:
    for name, source in (
        ("diagnostic-agent.yaml", "agents/diagnostic-agent.yaml"),
        ("remediation-agent.yaml", "agents/remediation-agent.yaml"),
        ("incident-response-flow.yaml", "flows/incident-response-flow.yaml"),
    ):
        shutil.copy(ROOT / source, tmp_path / name)
    env = _env(incidents)
    for command, name in (
        ("aofctl apply -f diagnostic-agent.yaml", "incident-diagnostic"),
        ("aofctl apply -f remediation-agent.yaml", "incident-remediation"),
        ("aofctl apply -f incident-response-flow.yaml", "incident-auto-response"),
    ):
        result = _shell(command, env, cwd=tmp_path)
        assert result.returncode == 0, (
            f"{command}: {result.stderr} (aofctl apply is built in chalicelib/cli/apply_cmd.py)"
        )
        assert name in result.stdout


def test_step5_run_daemon_starts_the_service(incidents: RecordedIncidents, processes: Processes) -> None:
    env = _env(incidents)
    output = _follow_until(
        processes, "aofctl run agentflow incident-auto-response --daemon", env, "http://", timeout=60
    )
    assert "http://" in output, f"`aofctl serve` did not start: {output}"
