from __future__ import annotations

import stat
from pathlib import Path

import pytest

from chalicelib.agents.tools.shell import ShellConfig, ShellTool, classify_argv
from chalicelib.errors import ToolRefused


@pytest.fixture
def fake_bin(tmp_path: Path) -> tuple[Path, Path]:
    """A bin directory whose kubectl/helm/cat only leave a marker: proof that something ran."""
    bin_dir, marker = tmp_path / "bin", tmp_path / "ran"
    bin_dir.mkdir()
    for program in ("kubectl", "helm", "cat", "touch"):
        script = bin_dir / program
        script.write_text(f'#!/bin/sh\necho "$0 $*" >> {marker}\necho ok\n')
        script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return bin_dir, marker


def tool(bin_dir: Path, allowed: list[str] | None = None, **kw) -> ShellTool:
    return ShellTool(ShellConfig(allowed_commands=allowed or ["kubectl", "helm"], search_path=str(bin_dir), **kw))


REFUSED = [
    "kubectl get pods | grep api",
    "kubectl get pods; touch /tmp/pwned",
    "kubectl get pods && touch x",
    "kubectl get pods & touch x",
    "kubectl get pods > /tmp/out",
    "kubectl apply -f - < /tmp/in",
    "kubectl get pods `touch x`",
    "kubectl get pods $(touch x)",
    "kubectl get pods\ntouch x",
    "kubectl --kubeconfig /etc/other get pods",
    "kubectl --kubeconfig=/etc/other get pods",
    "kubectl --context prod get pods",
    "kubectl --context=prod get pods",
    "kubectl --cluster=prod get pods",
    "kubectl --user admin get pods",
    "kubectl --token abc get pods",
    "kubectl --token=abc get pods",
    "kubectl --as system:admin get pods",
    "kubectl --as=system:admin get pods",
    "kubectl --as-group system:masters get pods",
    "kubectl --server https://10.0.0.1 get pods",
    "kubectl --server=https://10.0.0.1 get pods",
    "kubectl -s https://10.0.0.1 get pods",
    "kubectl -s=https://10.0.0.1 get pods",
    "helm --kube-context prod list",
    "helm --kubeconfig=/x list",
    "touch /tmp/x",
    "cat /etc/passwd",
    "/usr/bin/kubectl get pods",
    "./kubectl get pods",
    "bash -c 'kubectl get pods'",
    "",
]


@pytest.mark.parametrize("command", REFUSED)
def test_refused_forms_never_run_anything(fake_bin, command):
    bin_dir, marker = fake_bin
    shell = tool(bin_dir)
    with pytest.raises(ToolRefused):
        shell.classify("shell", {"command": command})
    with pytest.raises(ToolRefused):
        shell.invoke("shell", {"command": command})
    assert not marker.exists()


def test_the_marker_proof_works_for_an_allowed_command(fake_bin):
    bin_dir, marker = fake_bin
    outcome = tool(bin_dir).invoke("shell", {"command": "kubectl get pods -n production"})
    assert outcome.ok
    # What runs is the canonical form the policy judged: long flags, the namespace explicit.
    assert marker.read_text().strip().endswith("kubectl get pod --namespace=production")


def test_quoted_arguments_stay_one_argument_and_no_shell_expands_them(fake_bin):
    bin_dir, marker = fake_bin
    tool(bin_dir).invoke("shell", {"command": "kubectl get pods -l 'app in (api,web)' -o 'jsonpath={.items[*]}'"})
    assert "app in (api,web)" in marker.read_text()


def test_kubeconfig_comes_from_the_runtime(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "kubectl"
    script.write_text('#!/bin/sh\necho "KUBECONFIG=$KUBECONFIG ANTHROPIC=$ANTHROPIC_API_KEY"\n')
    script.chmod(0o755)
    shell = ShellTool(ShellConfig(allowed_commands=["kubectl"], search_path=str(bin_dir), kubeconfig="/runtime/kc"))
    out = shell.invoke("shell", {"command": "kubectl get pods"}).output
    assert "KUBECONFIG=/runtime/kc" in out
    assert "ANTHROPIC=" in out and "ANTHROPIC=sk" not in out


def test_output_is_capped_with_a_marker(tmp_path):
    big = tmp_path / "big.txt"
    big.write_text("x" * 100_000)
    shell = ShellTool(ShellConfig(allowed_commands=["cat"], max_output_bytes=1000))
    outcome = shell.invoke("shell", {"command": f"cat {big}"})
    assert len(outcome.output) < 1200
    assert "output truncated" in outcome.output


def test_timeout_stops_a_slow_command():
    shell = ShellTool(ShellConfig(allowed_commands=["sleep"], timeout_seconds=0.5))
    outcome = shell.invoke("shell", {"command": "sleep 5"})
    assert not outcome.ok and "timed out" in (outcome.error or "")


@pytest.mark.parametrize(
    ("command", "kind", "verb"),
    [
        ("kubectl get pods -n production", "read", "get"),
        ("kubectl describe pod api-1 -n production", "read", "describe"),
        ("kubectl logs api-1 -p -n production", "read", "logs"),
        ("kubectl top pods", "read", "top pod"),
        ("kubectl get events -n production", "read", "get"),
        ("kubectl rollout status deployment/api", "read", "rollout status"),
        ("kubectl rollout restart deployment/api -n production", "write", "rollout restart"),
        ("kubectl rollout undo deployment/api", "write", "rollout undo"),
        ("kubectl scale deployment/api --replicas=5", "write", "scale"),
        ("kubectl scale deployment/api --replicas 0", "destructive", "scale"),
        ("kubectl patch deployment api -p '{\"spec\":{}}'", "write", "patch"),
        ("kubectl annotate pod api-1 a=b", "write", "annotate"),
        ("kubectl label pod api-1 a=b", "write", "label"),
        ("kubectl set image deployment/api api=x", "destructive", "set image"),
        ("kubectl delete pod api-1 -n production", "destructive", "delete"),
        ("kubectl delete deployment api", "destructive", "delete"),
        ("kubectl drain node-1", "destructive", "drain"),
        ("kubectl cordon node-1", "destructive", "cordon"),
        ("helm list -n production", "read", "list"),
        ("helm rollback api 3", "write", "rollback"),
        ("helm uninstall api", "destructive", "uninstall"),
    ],
)
def test_kubectl_verbs_are_classified(command, kind, verb):
    import shlex

    action = classify_argv(shlex.split(command))
    assert (action.kind, action.verb) == (kind, verb)


@pytest.mark.parametrize(
    "command",
    ["kubectl exec api-1 -- sh", "kubectl frobnicate thing", "kubectl get pods -n a -n b", "kubectl apply -f -"],
)
def test_kubectl_commands_the_policy_cannot_read_are_refused_before_anything_runs(command):
    import shlex

    with pytest.raises(ToolRefused):
        classify_argv(shlex.split(command))


def test_action_carries_target_and_namespace():
    action = classify_argv(["kubectl", "rollout", "restart", "deployment/api", "-n", "production"])
    assert (action.target, action.namespace) == ("deployment/api", "production")
    assert classify_argv(["kubectl", "delete", "pod", "api-1", "--namespace=prod"]).target == "pod/api-1"


def test_real_kubectl_reads_the_sandbox(sandbox):
    shell = ShellTool(ShellConfig(allowed_commands=["kubectl"], kubeconfig=sandbox.kubeconfig_path))
    pods = shell.invoke("shell", {"command": "kubectl get pods -n production"})
    assert pods.ok, pods.error
    assert "api-" in pods.output and "STATUS" in pods.output
    name = next(line.split()[0] for line in pods.output.splitlines() if line.startswith("api-"))
    logs = shell.invoke("shell", {"command": f"kubectl logs {name} -n production"})
    assert logs.ok and "Started Application" in logs.output
    events = shell.invoke("shell", {"command": "kubectl get events -n production"})
    assert events.ok and "REASON" in events.output
    described = shell.invoke("shell", {"command": "kubectl describe deployment api -n production"})
    assert described.ok and "api" in described.output
    missing = shell.invoke("shell", {"command": "kubectl get pods nope -n production"})
    assert not missing.ok and "NotFound" in missing.output
