"""Namespaces: the scenario's, created Active long before the scenario starts."""

from __future__ import annotations

from sandbox.resources.context import ClusterContext


def load_namespaces(ctx: ClusterContext, now: float) -> None:
    for ns in ctx.scenario.namespaces:
        ctx.store.commit(
            "namespaces",
            {
                "apiVersion": "v1",
                "kind": "Namespace",
                "metadata": ctx.meta(ns, None, created=now - 90 * 86400, labels={"kubernetes.io/metadata.name": ns}),
                "spec": {"finalizers": ["kubernetes"]},
                "status": {"phase": "Active"},
            },
            "ADDED",
        )
