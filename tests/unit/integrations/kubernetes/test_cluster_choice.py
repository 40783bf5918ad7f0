"""One deployment, several clusters: the incident or the flow chooses, the stage lists what may be
chosen, and an incident naming an unlisted cluster is refused rather than sent to the default."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.errors import ConfigurationError
from chalicelib.integrations.kubernetes import KubeOps, cluster_reference, parse_reference
from chalicelib.integrations.kubernetes.kubectl_run import run_kubectl


def _state(cluster: str | None) -> dict[str, Any]:
    details = {"namespace": "production", **({"cluster": cluster} if cluster else {})}
    return {"event": {"incident": {"id": "Q1", "custom_details": details}}}


STAGE = {
    "AOF_CLUSTERS": "prod=eks:prod-eks, staging=eks:staging-eks@eu-west-1, lab=kubeconfig:/opt/lab.yaml",
    "AOF_DEFAULT_CLUSTER": "prod",
    "AOF_FLOW_CLUSTERS": "lab-drill=lab",
    "KUBECONFIG": "/ignored/when/clusters/are/named",
}


def test_the_incident_then_the_flow_then_the_stage_default_choose() -> None:
    assert cluster_reference(_state("staging"), "incident-auto-response", STAGE) == "eks:staging-eks@eu-west-1"
    assert cluster_reference(_state(None), "lab-drill", STAGE) == "kubeconfig:/opt/lab.yaml"
    assert cluster_reference(_state(None), "incident-auto-response", STAGE) == "eks:prod-eks"
    # A stage that names no clusters works as before: its kubeconfig, else in-cluster.
    assert cluster_reference(_state(None), "f", {"KUBECONFIG": "/k"}) == "/k"
    assert cluster_reference(_state(None), "f", {}) is None


@pytest.mark.parametrize("asked", ["kube-admin", "prod-eks", "eks:other", "/etc/kubeconfig"])
def test_an_incident_cannot_reach_a_cluster_the_stage_does_not_list(asked: str) -> None:
    with pytest.raises(ConfigurationError, match=f"cluster '{asked}'.*known: lab, prod, staging"):
        cluster_reference(_state(asked), "incident-auto-response", STAGE)
    with pytest.raises(ConfigurationError, match="does not list"):
        cluster_reference(_state("prod"), "f", {"KUBECONFIG": "/k"})


def test_references_read_as_what_they_reach() -> None:
    assert parse_reference("eks:prod-eks@us-west-2").label == "EKS cluster prod-eks in us-west-2"
    assert parse_reference("kubeconfig:/opt/lab.yaml").kubeconfig == "/opt/lab.yaml"
    assert parse_reference("/opt/lab.yaml").kubeconfig == "/opt/lab.yaml"
    with pytest.raises(ConfigurationError, match="eks:NAME"):
        parse_reference("eks:")
    with pytest.raises(ConfigurationError, match=r"AOF_CLUSTERS.*not name=value"):
        cluster_reference(_state(None), "f", {"AOF_CLUSTERS": "prod"})


def test_each_incident_acts_on_its_own_cluster(sandbox_factory: Any) -> None:
    memory = sandbox_factory("test001-high-memory")
    postgres = sandbox_factory("test002-postgres-down")
    stage = {"AOF_CLUSTERS": f"web={memory.kubeconfig_path},db=kubeconfig:{postgres.kubeconfig_path}"}
    seen = {}
    for cluster in ("web", "db"):
        ops = KubeOps(cluster_reference(_state(cluster), "incident-auto-response", stage))
        try:
            seen[cluster] = "\n".join(run_kubectl(ops, ["get", kind, "-A"]).text for kind in ("deploy", "sts"))
        finally:
            ops.close()
    assert "api" in seen["web"] and "postgres" not in seen["web"]
    assert "postgres" in seen["db"]
