"""``aofctl policy check``: the gate's verdict on one command, by effect against the sandbox."""

from __future__ import annotations

import io
import json
from contextlib import redirect_stdout
from typing import Any

from chalicelib.cli.main import main

from .conftest import FAST, mutations


def check(*argv: str) -> tuple[int, dict[str, Any]]:
    out = io.StringIO()
    with redirect_stdout(out):
        code = main(["policy", "check", "-o", "json", *argv])
    return code, json.loads(out.getvalue())


def test_verdicts_by_effect_on_the_sandbox_and_nothing_changes(sandbox_factory: Any) -> None:
    sb = sandbox_factory("test001-high-memory", speed=FAST)
    kc = ("--kubeconfig", sb.kubeconfig_path, "--")
    code, restart = check(*kc, "kubectl", "rollout", "restart", "deployment/api", "-n", "production")
    assert (code, restart["decision"], restart["kind"]) == (0, "allow", "write")
    assert restart["changes"] == [
        {"verb": "rollout restart", "kind": "deployment", "name": "api", "namespace": "production", "replicas": None, "detail": ""}
    ]
    assert "restartedAt" in restart["reason"]

    code, zero = check(*kc, "kubectl", "patch", "deployment", "api", "-n", "production", "-p", '{"spec":{"replicas":0}}')
    assert (code, zero["decision"], zero["kind"]) == (2, "approve", "destructive")
    assert "scaling to zero" in zero["reason"] and zero["effects"][0]["fields"] == ["spec.replicas"]

    pod = json.loads(sb.kubectl("get", "pods", "-n", "production", "-l", "app=api", "-o", "json").stdout)["items"][0]
    name = pod["metadata"]["name"]
    code, one_pod = check(*kc, "kubectl", "delete", "pod", name, "-n", "production")
    assert (code, one_pod["decision"]) == (0, "allow") and "replicaset/" in one_pod["reason"]
    code, relabel = check(*kc, "kubectl", "label", "pod", name, "app=x", "--overwrite", "-n", "production")
    assert (code, relabel["decision"]) == (2, "approve") and "controller" in relabel["reason"]

    code, twice = check(*kc, "kubectl", "delete", "deploy", "api", "-n", "staging", "-n", "production")
    assert (code, twice["decision"]) == (3, "refuse") and "given twice" in twice["reason"]
    assert mutations(sb) == [], "a policy check never changes the cluster"


def test_without_a_cluster_what_cannot_be_seen_is_destructive() -> None:
    code, blind = check("--", "kubectl", "scale", "deployment/api", "--replicas=2", "-n", "production")
    assert (code, blind["decision"], blind["kind"]) == (2, "approve", "destructive")
    assert "cannot show" in blind["reason"]
    code, read = check("--", "kubectl", "get", "pods", "-n", "production")
    assert (code, read["decision"], read["command"]) == (0, "allow", ["kubectl", "get", "pod", "--namespace=production"])
    code, system = check("--", "kubectl", "rollout", "restart", "deployment/coredns", "-n", "kube-system")
    assert (code, system["decision"]) == (3, "refuse") and "off limits" in system["reason"]


def test_an_unknown_flow_is_an_error_with_a_suggestion() -> None:
    from contextlib import redirect_stderr

    err = io.StringIO()
    with redirect_stderr(err), redirect_stdout(io.StringIO()):
        code = main(["policy", "check", "--flow", "incident-auto-respons", "--", "kubectl", "get", "pods"])
    assert code == 1 and "did you mean 'incident-auto-response'" in err.getvalue()
