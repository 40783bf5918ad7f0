"""EKS access as the function's IAM role: the token aws-iam-authenticator accepts, endpoint and CA
from DescribeCluster (cached), fresh tokens, on moto and through a token-checking API front door."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest

from chalicelib.errors import ConfigurationError
from chalicelib.integrations.kubernetes import KubeCallError, KubeOps
from chalicelib.integrations.kubernetes.eks import (
    DESCRIBE_TTL_SECONDS,
    TOKEN_REFRESH_SECONDS,
    EksAccess,
    presigned_token,
)
from chalicelib.integrations.kubernetes.kubectl_run import run_kubectl
from tests.unit.integrations.kubernetes.conftest import REGION
from tests.unit.integrations.kubernetes.eks_gate import EksGate, token_problem

ACCOUNT = "123456789012"
PEM = b"-----BEGIN CERTIFICATE-----\nMIIBsandbox\n-----END CERTIFICATE-----\n"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _clients() -> tuple[Any, Any]:
    sts = boto3.client("sts", region_name=REGION, endpoint_url=f"https://sts.{REGION}.amazonaws.com")
    return boto3.client("eks", region_name=REGION), sts


def _cluster(eks: Any, name: str) -> None:
    eks.create_cluster(name=name, roleArn=f"arn:aws:iam::{ACCOUNT}:role/eks", resourcesVpcConfig={})


def _count(client: Any, event: str) -> list[int]:
    calls: list[int] = []
    client.meta.events.register(event, lambda **_: calls.append(1))
    return calls


def test_the_token_is_a_presigned_get_caller_identity_for_the_cluster(aws: None) -> None:
    _, sts = _clients()
    token = presigned_token(sts, "prod-eks")
    assert token.startswith("k8s-aws-v1.") and not token.endswith("=")
    assert token_problem(f"Bearer {token}", "prod-eks", REGION) is None
    url = base64.urlsafe_b64decode(token[len("k8s-aws-v1.") :] + "=" * (-len(token) % 4)).decode()
    query = parse_qs(urlsplit(url).query)
    assert query["X-Amz-Expires"] == ["60"] and query["X-Amz-SignedHeaders"] == ["host;x-k8s-aws-id"]
    # The cluster travels as a signed header, never as a query parameter a proxy could change.
    assert "x-k8s-aws-id" not in query and "prod-eks" not in url
    # Another cluster's name gives another signature: a token for one cluster is no token for another.
    other = presigned_token(sts, "staging-eks")
    assert (
        parse_qs(urlsplit(base64.urlsafe_b64decode(other[11:] + "===").decode()).query)["X-Amz-Signature"]
        != (query["X-Amz-Signature"])
    )


def test_endpoint_and_ca_are_cached_and_read_again_after_the_ttl(aws: None) -> None:
    eks, sts = _clients()
    _cluster(eks, "prod-eks")
    described = _count(eks, "before-call.eks.DescribeCluster")
    clock = Clock()
    access = EksAccess(eks, sts, clock)
    first = access.cluster("prod-eks")
    assert first.endpoint.startswith("https://") and first.certificate_authority
    clock.now += DESCRIBE_TTL_SECONDS - 1
    assert access.cluster("prod-eks") == first and len(described) == 1
    eks.delete_cluster(name="prod-eks")
    clock.now += 2
    with pytest.raises(ConfigurationError, match=r"prod-eks.*ResourceNotFoundException"):
        access.cluster("prod-eks")


def test_tokens_are_signed_again_before_the_urls_expiry(aws: None) -> None:
    eks, sts = _clients()
    signed = _count(sts, "before-sign.sts.GetCallerIdentity")
    clock = Clock()
    access = EksAccess(eks, sts, clock)
    access.token("prod-eks")
    clock.now += TOKEN_REFRESH_SECONDS - 1
    access.token("prod-eks")
    assert len(signed) == 1
    clock.now += 2
    assert token_problem(f"Bearer {access.token('prod-eks')}", "prod-eks", REGION) is None
    assert len(signed) == 2 and TOKEN_REFRESH_SECONDS < 60


def test_an_unknown_cluster_is_a_configuration_error_naming_it(aws: None) -> None:
    eks, sts = _clients()
    with pytest.raises(KubeCallError, match="'missing-eks'"):
        KubeOps("eks:missing-eks", EksAccess(eks, sts))


@pytest.fixture
def gate(sandbox_factory: Any) -> Iterator[EksGate]:
    sandbox = sandbox_factory("test001-high-memory")
    front = EksGate(sandbox.url, "prod-eks", REGION)
    yield front
    front.stop()


def test_the_agents_reach_an_eks_cluster_as_the_role_through_its_authenticator(aws: None, gate: EksGate) -> None:
    from moto.eks.models import eks_backends

    eks, sts = _clients()
    _cluster(eks, "prod-eks")
    # The far side's answer: this cluster's API server is the gate in front of the sandbox.
    cluster = eks_backends[ACCOUNT][REGION].clusters["prod-eks"]
    cluster.endpoint = gate.url
    cluster.certificate_authority = {"data": base64.b64encode(PEM).decode()}
    signed = _count(sts, "before-sign.sts.GetCallerIdentity")
    clock = Clock()
    ops = KubeOps("eks:prod-eks", EksAccess(eks, sts, clock))
    try:
        listed = run_kubectl(ops, ["get", "pods", "-n", "production"]).text
        # A long-lived warm client: its next request carries a newly signed token.
        clock.now += TOKEN_REFRESH_SECONDS + 1
        restarted = run_kubectl(ops, ["rollout", "restart", "deployment/api", "-n", "production"])
    finally:
        ops.close()
    assert len(signed) == 2
    assert listed.splitlines()[0].split()[:3] == ["NAME", "READY", "STATUS"] and "api-" in listed
    assert restarted.text == "deployment.apps/api restarted" and restarted.result.snapshot
    assert len(gate.seen) >= 4 and not gate.refused


def test_the_gate_refuses_what_eks_refuses(gate: EksGate) -> None:
    """The front door is no rubber stamp: without a valid token nothing reaches the cluster."""
    import urllib.error
    import urllib.request

    for header in ("", "Bearer k8s-aws-v1.aGVsbG8=", "Bearer abc"):
        request = urllib.request.Request(
            f"{gate.url}/api/v1/namespaces/production/pods", headers={"Authorization": header}
        )
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=5)
        assert refused.value.code == 401
    assert not gate.seen
