"""Services have Endpoints and EndpointSlices: Ready pods behind a healthy Service, none behind a down one."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from sandbox.testing import Sandbox

from .conftest import FAST

pytestmark = pytest.mark.usefixtures("kubectl_available")


def _endpoints_line(sb: Sandbox, service: str) -> str:
    out = sb.kubectl("describe", "svc", service, "-n", "production")
    assert out.returncode == 0, out.stderr
    return next(line for line in out.stdout.splitlines() if line.startswith("Endpoints:"))


def _ready(sb: Sandbox, service: str) -> list[str]:
    ep = sb.cluster.get("endpoints", service, "production") or {}
    return [a["ip"] for sub in ep.get("subsets") or [] for a in sub.get("addresses") or []]


def test_describe_svc_shows_ready_pods_and_none_for_a_service_whose_pods_are_down(
    sandbox_factory: Callable[..., Sandbox],
) -> None:
    sb = sandbox_factory("test002-postgres-down", speed=FAST)
    api_ips = sorted(p["status"]["podIP"] for p in sb.cluster.pods("production", "app=api"))
    assert _endpoints_line(sb, "api").split()[1] == ",".join(f"{ip}:8080" for ip in api_ips)
    assert _endpoints_line(sb, "postgres").split()[1:] == []
    table = sb.kubectl("get", "endpoints", "postgres", "-n", "production").stdout
    assert "<none>" in table


def test_endpoints_follow_the_pods_when_they_become_ready(sandbox_factory: Callable[..., Sandbox]) -> None:
    sb = sandbox_factory("test002-postgres-down", speed=FAST)
    assert sb.kubectl("rollout", "restart", "statefulset/postgres", "-n", "production").returncode == 0
    assert sb.wait_resolved(timeout=10)
    # Read from the API object (kubectl is a separate process; the cluster lock must stay free).
    assert sb.cluster.wait_for(lambda: len(_ready(sb, "postgres")) == 3, timeout=5)
    assert len(_endpoints_line(sb, "postgres").split()[1].split(",")) == 3
