"""Each scenario's remediations change the cluster as the scenario file says (run with the real kubectl)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from sandbox.scenarios import list_scenarios, load_scenario
from sandbox.testing import Sandbox, remediation_command, settled

from .conftest import FAST

pytestmark = pytest.mark.usefixtures("kubectl_available")

CASES = [
    pytest.param(name, i, id=f"{name}:{rem['verb'].replace(' ', '-')}")
    for name in list_scenarios()
    for i, rem in enumerate(load_scenario(name).remediations)
]


@pytest.mark.parametrize(("name", "index"), CASES)
def test_remediation_outcome(sandbox_factory: Callable[..., Sandbox], name: str, index: int) -> None:
    sb = sandbox_factory(name, speed=FAST)
    rem = sb.scenario.remediations[index]
    initially = sb.resolved()
    before = {p["metadata"]["uid"] for p in sb.cluster.workload_pods(rem["target"], rem["namespace"])}
    r = sb.apply(rem)
    assert r.returncode == 0, r.stderr
    if rem["resolves"]:
        assert sb.wait_resolved(timeout=8), sb.cluster.pod_summary(rem["target"], rem["namespace"])
    else:
        # Let the controllers act (the rollout completes, or its new pods reach their own state and
        # it stalls on them), then it is still broken.
        assert sb.cluster.wait_for(lambda: settled(sb, rem, before), timeout=8), sb.cluster.pod_summary(
            rem["target"], rem["namespace"]
        )
        assert not sb.resolved(), sb.cluster.pod_summary(rem["target"], rem["namespace"])
    after = {p["metadata"]["uid"] for p in sb.cluster.workload_pods(rem["target"], rem["namespace"])}
    if rem["verb"] in ("rollout restart", "rollout undo", "delete pod") and not initially:
        assert after != before  # something really happened
    mutating = [a for a in sb.actions if not a["dry_run"] and a.get("code") in (200, 201)]
    assert mutating, "the remediation reached the API server"


@pytest.mark.parametrize("name", list_scenarios())
def test_expected_action_matches_resolvable(sandbox_factory: Callable[..., Sandbox], name: str) -> None:
    """The scenario's expected action (if any) resolves it; its server dry run changes nothing."""
    sb = sandbox_factory(name, speed=FAST)
    action = sb.scenario.expected_action
    if action is None:
        assert not sb.scenario.resolvable
        return
    ns = action["namespace"]
    rv = {
        o["metadata"]["name"]: o["metadata"]["resourceVersion"]
        for o in sb.cluster.objects(action["target"].split("/")[0] + "s", ns)
    }
    dry = sb.kubectl(*remediation_command(action["verb"], action["target"], ns, dry_run=True))
    assert dry.returncode == 0, dry.stderr
    assert {
        o["metadata"]["name"]: o["metadata"]["resourceVersion"]
        for o in sb.cluster.objects(action["target"].split("/")[0] + "s", ns)
    } == rv
    assert not sb.resolved()
    assert sb.apply(action).returncode == 0
    assert sb.wait_resolved(timeout=8)
