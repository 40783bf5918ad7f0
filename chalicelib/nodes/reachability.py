"""Know what you cannot see: before an agent looks at the cluster, check that it can.

An agent that cannot reach the Kubernetes API still answers: every tool call fails, and a model
(or the offline one) turns "connection refused" into "deployment/api was not found" and a plan to
fix it. So an agent node whose agent has cluster tools first reads the incident's namespace
(one list call, a few seconds at most). If that fails, the agent does not run: the node answers
in plain words what it could not do, recommends nothing, asks no approval, and a remediation
hands the incident to a human.
"""

from __future__ import annotations

from typing import Any

from chalicelib.integrations.kubernetes import KubeCallError, KubeOps, parse_reference

# The kubernetes SDK's errors (about 195 ms) are imported only when a call has failed.

#: A probe that takes longer than this is as good as unreachable for an incident.
PROBE_TIMEOUT_SECONDS = 5.0


def uses_cluster(agent: Any) -> bool:
    """Does the agent look at Kubernetes (the Kubernetes tool, or kubectl through the Shell tool)?"""
    for tool in agent.spec.tools:
        if tool.type == "Kubernetes":
            return True
        config = getattr(tool, "config", None)
        allowed = getattr(config, "allowed_commands", None)
        if allowed is None and isinstance(config, dict):
            allowed = config.get("allowed_commands")
        if tool.type == "Shell" and "kubectl" in (allowed or []):
            return True
    return False


def cluster_problem(kubeconfig: str | None, namespace: str, timeout: float = PROBE_TIMEOUT_SECONDS) -> str | None:
    """None when ``namespace`` can be read; otherwise what is wrong, in plain words."""
    try:
        ops = KubeOps(kubeconfig)
    except KubeCallError as error:
        where = parse_reference(kubeconfig).label if kubeconfig else "KUBECONFIG (not set) or the in-cluster account"
        return f"cannot use {where}: {error}"
    host = str(getattr(ops.api.configuration, "host", "") or "?")
    try:
        ops.core.list_namespaced_pod(namespace, limit=1, _request_timeout=timeout)
    except Exception as error:  # any failure means: we cannot see; say which
        return f"cannot read namespace {namespace} through the Kubernetes API at {host}: {_plain(error)}"
    finally:
        ops.close()
    return None


def _plain(error: BaseException) -> str:
    from kubernetes.client.exceptions import ApiException

    if isinstance(error, ApiException):
        if error.status == 401:
            return "the credentials were refused (401 Unauthorized)"
        if error.status == 403:
            return "forbidden (403): the agents' account may not list pods there"
        return f"HTTP {error.status} {error.reason}"
    text = str(error)
    for marker, words in (
        ("Connection refused", "connection refused"),
        ("timed out", "timed out"),
        ("Name or service not known", "the host name does not resolve"),
        ("nodename nor servname", "the host name does not resolve"),
        ("CERTIFICATE_VERIFY_FAILED", "its TLS certificate is not trusted"),
    ):
        if marker in text:
            return words
    return f"{type(error).__name__}: {text[:200]}"


def blind_answer(agent_name: str, schema: dict[str, Any] | None, problem: str) -> dict[str, Any]:
    """The answer an agent gives when it could not look: no diagnosis, no recommendation."""
    fields = set((schema or {}).get("properties") or {})
    if "action_taken" in fields or "rollback_needed" in fields:
        return {
            "action_taken": "none",
            "result": "failed",
            "verification": f"nothing was checked or changed: {problem}",
            "rollback_needed": False,
            "logs": "",
        }
    answer: dict[str, Any] = {
        "severity": "high",
        "root_cause": f"unknown: {problem}",
        "affected_components": [],
        "impact": "unknown: the cluster could not be read",
        "recommended_action": "none: a human must look (the cluster could not be read)",
        "requires_approval": False,
        "confidence": 0.0,
    }
    if fields:
        answer = {k: v for k, v in answer.items() if k in fields}
        for key in fields - set(answer):
            answer[key] = None
    return answer
