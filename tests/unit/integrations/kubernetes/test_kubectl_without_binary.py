"""The agents' kubectl commands on a runtime with no kubectl (Lambda): typed operations on the
client, output as kubectl prints it, and nothing run that the policy's parser did not read."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from chalicelib.agents.options import AgentRunOptions
from chalicelib.agents.tools.toolset import ToolSet, build_toolset


@pytest.fixture
def sandbox(sandbox_factory: Any) -> Any:
    return sandbox_factory("test001-high-memory")


@pytest.fixture
def shell(sandbox: Any, tmp_path: Path) -> Iterator[ToolSet]:
    # An empty search path: kubectl is not installed, as in a Lambda function.
    options = AgentRunOptions(kubeconfig=sandbox.kubeconfig_path, search_path=str(tmp_path))
    spec = {"type": "Shell", "config": {"allowed_commands": ["kubectl"]}}
    tools = build_toolset([spec], options, warn=lambda _: None)
    yield tools
    tools.close()


def run(tools: ToolSet, command: str) -> Any:
    tool = tools.get("shell")
    assert tool is not None
    return tool.invoke("shell", {"command": command})


def test_get_prints_kubectls_table(shell: ToolSet) -> None:
    out = run(shell, "kubectl get pods -n production -l app=api")
    assert out.ok and out.metadata["translated_from"] == "kubectl"
    lines = out.output.splitlines()
    assert lines[0].split() == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    assert len(lines) == 4 and all(line.startswith("api-") for line in lines[1:])
    wide = run(shell, "kubectl get deploy -A -o wide").output.splitlines()
    assert wide[0].split()[:2] == ["NAMESPACE", "NAME"] and "IMAGES" in wide[0]
    assert any(line.split()[:2] == ["production", "api"] for line in wide[1:])


def test_describe_and_logs_read_as_text(shell: ToolSet) -> None:
    pod = run(shell, "kubectl get pods -n production -l app=api -o name").output.splitlines()[0]
    assert pod.startswith("pod/api-")
    described = run(shell, f"kubectl describe {pod} -n production")
    assert described.ok and f"Name: {pod[4:]}" in described.output
    assert "Restart Count:" in described.output and "OOMKilled" in described.output
    assert "\nEvents:" in described.output
    logs = run(shell, f"kubectl logs {pod} -n production --previous")
    assert logs.ok and "OutOfMemoryError" in logs.output and not logs.output.lstrip().startswith("{")


def test_a_change_runs_as_the_typed_operation_with_its_snapshot(shell: ToolSet, sandbox: Any) -> None:
    out = run(shell, "kubectl rollout restart deployment/api -n production")
    assert out.ok and out.output == "deployment.apps/api restarted"
    assert out.snapshot and out.snapshot["metadata"]["name"] == "api"
    template = sandbox.apps_v1().read_namespaced_deployment("api", "production").spec.template
    assert "kubectl.kubernetes.io/restartedAt" in (template.metadata.annotations or {})


@pytest.mark.parametrize(
    "command",
    [
        "kubectl set image deployment/api api=attacker/image -n production",
        "kubectl scale deployment --all --replicas=0 -n production",
        "kubectl get secrets -n production -o yaml",
        "kubectl get deploy/api -n production --kubeconfig=/tmp/other",
    ],
)
def test_what_has_no_exact_typed_equivalent_is_refused_and_changes_nothing(
    shell: ToolSet, sandbox: Any, command: str
) -> None:
    from chalicelib.errors import ToolRefused

    before = sandbox.apps_v1().read_namespaced_deployment("api", "production").to_dict()
    try:
        out = run(shell, command)
    except ToolRefused:
        out = None
    assert out is None or (not out.ok and not out.output)
    after = sandbox.apps_v1().read_namespaced_deployment("api", "production").to_dict()
    assert after["spec"] == before["spec"]


def test_several_kinds_in_one_get_print_as_kubectl_prints_them(shell: ToolSet, sandbox: Any) -> None:
    import subprocess

    from chalicelib.errors import ToolRefused

    command = "get deploy,pods,svc -n production"
    out = run(shell, f"kubectl {command}")
    real = subprocess.run(
        ["kubectl", "--kubeconfig", str(sandbox.kubeconfig_path), *command.split()],
        capture_output=True,
        text=True,
        check=True,
    ).stdout

    def shape(text: str) -> list[list[str]]:
        # Names and column headers; AGE and the like move with the clock between the two calls.
        return [line.split()[:1] for line in text.strip().splitlines()]

    assert out.ok
    assert shape(out.output) == shape(real)
    assert "deployment.apps/api" in out.output and "\n\nNAME " in out.output
    names = run(shell, "kubectl get deploy,svc -n production -o name").output.splitlines()
    assert "deployment/api" in names and any(n.startswith("service/") for n in names)
    with pytest.raises(ToolRefused, match="one kind"):
        run(shell, "kubectl get deploy,svc api -n production")
