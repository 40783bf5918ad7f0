"""ConfigMaps: the scenario's ``configmaps:`` entries, with every value a string as the API keeps it."""

from __future__ import annotations

from sandbox.resources.context import ClusterContext
from sandbox.scenarios import parse_duration


def load_configmaps(ctx: ClusterContext, now: float) -> None:
    scn = ctx.scenario
    for cm in scn.configmaps:
        ctx.store.commit(
            "configmaps",
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": ctx.meta(
                    cm["name"],
                    cm.get("namespace", scn.namespace),
                    created=now - parse_duration(cm.get("age"), 86400),
                ),
                "data": {k: str(v) for k, v in (cm.get("data") or {}).items()},
            },
            "ADDED",
        )
