"""Healed means the cause is gone: new pods that still carry the fault do not count."""

from __future__ import annotations

from chalicelib.evaluation.runner import healthy_now


def test_a_restart_that_leaves_the_leak_is_not_healed(sandbox_factory):
    sb = sandbox_factory("test001-high-memory", speed=4.0)
    assert not healthy_now(sb)
    sb.kubectl("rollout", "restart", "deployment/api", "-n", "production")
    assert sb.wait_resolved(timeout=10)  # every pod Running and Ready again...
    assert not healthy_now(sb)  # ...but on the revision whose session cache never expires


def test_rolling_back_to_the_revision_without_the_leak_heals(sandbox_factory):
    sb = sandbox_factory("test001-high-memory", speed=4.0)
    sb.kubectl("rollout", "undo", "deployment/api", "-n", "production")
    assert sb.cluster.wait_for(lambda: healthy_now(sb), timeout=10)
