"""``aofctl validate`` and ``aofctl get``, as a user runs them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from chalicelib.cli.main import main

ROOT = Path(__file__).resolve().parents[3]
AGENTS = str(ROOT / "agents")
TUTORIAL_FLOW = ROOT / "flows" / "incident-response-flow.yaml"


def test_validate_tutorial_is_clean(capsys, monkeypatch):
    monkeypatch.delenv("SLACK_APPROVERS", raising=False)
    code = main(["validate", AGENTS, str(TUTORIAL_FLOW)])
    out, err = capsys.readouterr()

    assert code == 0
    assert out == "ok: 3 agent(s), 1 flow(s) valid\n"
    assert err.splitlines() == [
        f"warning: {TUTORIAL_FLOW}:253: repeated 'to:' key (first at line 252) read as a list of targets; "
        "write 'to: [a, b]' to silence this warning",
        f"warning: {TUTORIAL_FLOW}:269: repeated 'to:' key (first at line 268) read as a list of targets; "
        "write 'to: [a, b]' to silence this warning",
        *(
            f"warning: {AGENTS}/{name}-agent.yaml:{line}: agent incident-{name}: spec.tools[1].config.command: npx runs "
            "'@modelcontextprotocol/server-kubectl', which is not pinned: write an exact version, e.g. "
            "@modelcontextprotocol/server-kubectl@1.2.3; this MCP server will not be started (pin an exact version to use it)"
            for name, line in (("diagnostic", 60), ("remediation", 61))
        ),
        f"warning: {TUTORIAL_FLOW}:79: flow incident-auto-response, node request-approval: no approvers "
        "(an error in a deployed stage): anyone in the channel could approve; list them in the node's "
        "'approvers', the flow's 'safety.approvers' or SLACK_APPROVERS",
    ]


def test_validate_for_a_stage_refuses_an_approval_anyone_could_give(capsys, monkeypatch):
    monkeypatch.delenv("SLACK_APPROVERS", raising=False)
    code = main(["validate", "--stage", "dev", AGENTS, str(TUTORIAL_FLOW)])
    out, _err = capsys.readouterr()
    assert code == 1
    assert f"{TUTORIAL_FLOW}:79: flow incident-auto-response, node request-approval: no approvers" in out


def test_validate_prints_every_problem_as_file_line_message(tmp_path, capsys):
    flow = tmp_path / "flow.yaml"
    text = TUTORIAL_FLOW.read_text(encoding="utf-8")
    text = text.replace("        wait_for_reaction: true", "        wait_for_reactions: true")
    flow.write_text(text, encoding="utf-8")
    broken_agent = tmp_path / "agent.yaml"
    broken_agent.write_text(
        "apiVersion: aof.dev/v1\nkind: Agent\nmetadata:\n  name: extra\nspec:\n  model: gpt-4\n  instructions: hi\n",
        encoding="utf-8",
    )

    code = main(["validate", AGENTS, str(broken_agent), str(flow)])
    out, err = capsys.readouterr()

    assert code == 1
    assert out.splitlines() == [
        f"{broken_agent}:6: spec.model: model must be written 'provider:model' (e.g. anthropic:claude-3-5-sonnet), "
        "got 'gpt-4'",
        f"{flow}:96: spec.nodes[request-approval].config.wait_for_reactions: unknown field 'wait_for_reactions' "
        "(did you mean 'wait_for_reaction'?)",
    ]
    assert err.splitlines()[-1] == "2 problem(s) found"


def test_validate_reports_reference_problems_after_loading(tmp_path, capsys):
    flow = tmp_path / "flow.yaml"
    text = TUTORIAL_FLOW.read_text(encoding="utf-8").replace(
        "**Severity**: ${diagnose.output.severity}", "**Severity**: ${diagnose.output.severty}"
    )
    flow.write_text(text, encoding="utf-8")

    code = main(["validate", AGENTS, str(flow)])
    out, _ = capsys.readouterr()

    assert code == 1
    assert out.splitlines() == [
        f"{flow}:59: spec.nodes[notify-diagnosis].config.message: 'diagnose' has no output field 'severty' "
        "(did you mean 'severity'?)"
    ]


def test_validate_missing_path_fails(tmp_path, capsys):
    missing = tmp_path / "nope"
    assert main(["validate", str(missing)]) == 1
    out, _ = capsys.readouterr()
    assert out == f"{missing}: no such file or directory\n"


def test_validate_without_paths_is_a_usage_error(capsys):
    try:
        main(["validate"])
    except SystemExit as stop:
        assert stop.code == 2
    else:
        raise AssertionError("aofctl validate with no path must fail")
    assert "paths" in capsys.readouterr().err


def test_get_agents_as_json_lists_the_three_agents(capsys):
    code = main(["get", "agents", "-f", AGENTS, "-o", "json"])
    out, _ = capsys.readouterr()

    assert code == 0
    agents = json.loads(out)
    assert sorted(a["metadata"]["name"] for a in agents) == [
        "incident-diagnostic",
        "incident-remediation",
        "post-incident-analyzer",
    ]
    by_name = {a["metadata"]["name"]: a for a in agents}
    assert by_name["incident-remediation"]["spec"]["model"] == "openai:gpt-4"
    assert by_name["incident-diagnostic"]["spec"]["model_config"] == {"temperature": 0.2, "max_tokens": 3000}


def test_get_flows_table(capsys):
    code = main(["get", "flows", "-f", AGENTS, "-f", str(TUTORIAL_FLOW)])
    out, _ = capsys.readouterr()

    assert code == 0
    header, row = out.splitlines()
    assert header.split() == ["NAME", "TRIGGER", "NODES", "PATH"]
    assert row.split() == ["incident-auto-response", "Webhook", "14", "/pagerduty/webhook"]


def test_aofctl_validate_as_a_process(tmp_path):
    aofctl = Path(sys.executable).with_name("aofctl")
    ok = subprocess.run(
        [str(aofctl), "validate", "agents", "flows"], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert ok.stdout.startswith("ok: 3 agent(s), ")

    bad = tmp_path / "bad.yaml"
    bad.write_text("apiVersion: aof.dev/v1\nkind: Agnet\nmetadata:\n  name: x\n", encoding="utf-8")
    failed = subprocess.run([str(aofctl), "validate", str(bad)], capture_output=True, text=True, timeout=60)
    assert failed.returncode == 1
    assert failed.stdout == f"{bad}:2: kind: unknown kind 'Agnet' (did you mean 'Agent'?)\n"
    assert failed.stderr == "1 problem(s) found\n"


def test_aofctl_get_agents_json_as_a_process():
    aofctl = Path(sys.executable).with_name("aofctl")
    done = subprocess.run(
        [str(aofctl), "get", "agents", "-f", "agents", "-o", "json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert sorted(a["metadata"]["name"] for a in json.loads(done.stdout)) == [
        "incident-diagnostic",
        "incident-remediation",
        "post-incident-analyzer",
    ]
