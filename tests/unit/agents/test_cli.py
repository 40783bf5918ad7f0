from __future__ import annotations

import argparse
import io
import json

from chalicelib.agents.cli import add_parser, run
from tests.unit.agents.conftest import AGENTS_DIR


def parse(argv):
    parser = argparse.ArgumentParser(prog="aofctl")
    add_parser(parser.add_subparsers(dest="command"))
    return parser.parse_args(argv)


def test_agent_exec_runs_the_tutorial_agent_offline(sandbox, tmp_path, monkeypatch):
    """No API key: the LLM is unavailable, the builtin fallback answers from the sandbox."""
    monkeypatch.chdir(tmp_path)  # the agent's SQLite memory is ./incident-diagnostics.db
    args = parse(
        [
            "agent",
            "exec",
            "incident-diagnostic",
            "Incident: High memory usage\nNamespace: production\nResource: deployment/api",
            "--kubeconfig",
            sandbox.kubeconfig_path,
            "--agents-dir",
            str(AGENTS_DIR),
            "-o",
            "json",
        ]
    )
    assert args.handler is run
    out = io.StringIO()
    assert run(args, env={"PATH": "/usr/bin:/bin", "HOME": "/tmp"}, out=out) == 0
    result = json.loads(out.getvalue())
    assert result["fallback_used"] == "builtin:triage"
    assert result["output"]["action"]["verb"] == "rollout restart"
    assert any(c["input"]["command"].startswith("kubectl get pods") for c in result["tool_calls"])
    assert (tmp_path / "incident-diagnostics.db").exists()  # memory as the YAML asks


def test_agent_exec_text_output_and_errors(sandbox, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    out = io.StringIO()
    args = parse(
        [
            "agent",
            "exec",
            "incident-diagnostic",
            "Namespace: production\nResource: deployment/api",
            "--kubeconfig",
            sandbox.kubeconfig_path,
            "--agents-dir",
            str(AGENTS_DIR),
        ]
    )
    assert run(args, env={"PATH": "/usr/bin:/bin"}, out=out) == 0
    text = out.getvalue()
    assert "$ [shell] kubectl get pods -n production -l app=api -o json  (read, ok)" in text
    assert '"severity": "high"' in text
    missing = parse(["agent", "exec", "nope", "x", "--agents-dir", str(AGENTS_DIR)])
    assert run(missing, env={}) == 2
    assert "incident-diagnostic" in capsys.readouterr().err
    offline = parse(["agent", "exec", "incident-diagnostic", "x", "--agents-dir", str(AGENTS_DIR), "--no-fallback"])
    assert run(offline, env={}) == 1
    assert "ANTHROPIC_API_KEY" in capsys.readouterr().err
