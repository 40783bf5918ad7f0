"""`python -m sandbox` and the argparse hooks the lead wires into aofctl."""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from sandbox import cli
from tests.support.processes import Processes

ROOT = Path(__file__).resolve().parents[2]


def run_module(*args: str, timeout: float = 20) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sandbox", *args], capture_output=True, text=True, timeout=timeout, cwd=ROOT
    )


def test_list_and_incident(capsys: pytest.CaptureFixture[str]) -> None:
    r = run_module("list")
    assert r.returncode == 0
    assert "test001-high-memory" in r.stdout and "rollout restart deployment/api" in r.stdout
    r = run_module("incident", "test002-postgres-down")
    assert json.loads(r.stdout)["event"]["incident"]["id"] == "TEST002"
    assert cli.main(["expected", "false-alarm"]) == 0
    assert json.loads(capsys.readouterr().out)["outcome"] == "no_action"
    assert cli.main(["incident", "nope"]) == 2


def test_add_parser_registers_sandbox() -> None:
    parser = argparse.ArgumentParser(prog="aofctl")
    sub = parser.add_subparsers(dest="command")
    cli.add_parser(sub)
    args = parser.parse_args(["sandbox", "up", "--scenario", "false-alarm", "--port", "0", "--kubeconfig", "/tmp/kc"])
    assert args.command == "sandbox" and args.sandbox_command == "up"
    assert args.scenario == "false-alarm" and args.port == 0 and args.kubeconfig == "/tmp/kc"
    assert args.sandbox_run is cli.run
    assert cli.run(parser.parse_args(["sandbox", "list"])) == 0


def test_up_in_the_foreground(tmp_path: Path, processes: Processes, kubectl_available: str) -> None:
    kubectl = kubectl_available
    kubeconfig = tmp_path / "kc.yaml"
    proc = processes.start(
        [
            sys.executable,
            "-m",
            "sandbox",
            "up",
            "--scenario",
            "false-alarm",
            "--kubeconfig",
            str(kubeconfig),
            "--speed",
            "3",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    assert proc.stdout is not None
    first = proc.stdout.readline().strip()
    assert first == f"export KUBECONFIG={kubeconfig}"
    text = kubeconfig.read_text()
    assert "server: http://127.0.0.1:" in text and "namespace: production" in text
    # The cluster `sandbox up` prints is one the real kubectl reads.
    r = subprocess.run(
        [kubectl, "get", "deploy", "checkout", "--request-timeout=5s", f"--cache-dir={tmp_path / 'cache'}"],
        capture_output=True,
        text=True,
        env={**os.environ, "KUBECONFIG": str(kubeconfig)},
        timeout=20,
    )
    assert r.returncode == 0 and "4/4" in r.stdout, r.stdout + r.stderr
    proc.send_signal(signal.SIGINT)  # Ctrl-C, whatever the test runner's own SIGINT disposition
    out, err = proc.communicate(timeout=10)
    assert proc.returncode == 0, err
    assert "sandbox stopped" in out
