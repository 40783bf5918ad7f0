"""The scenario's ``events:`` entries: history that happened before the scenario starts."""

from __future__ import annotations

from typing import Any

from sandbox.resources.context import ClusterContext
from sandbox.resources.deployments import new_rs_for
from sandbox.resources.events import Events, render
from sandbox.resources.templates import revision
from sandbox.scenarios import parse_duration


def load_scenario_event(ctx: ClusterContext, events: Events, ev: dict[str, Any], now: float) -> None:
    kind, _, name = str(ev["object"]).partition("/")
    plural = {
        "deployment": "deployments",
        "statefulset": "statefulsets",
        "pod": "pods",
        "node": "nodes",
        "replicaset": "replicasets",
        "service": "services",
        "persistentvolumeclaim": "persistentvolumeclaims",
        "pvc": "persistentvolumeclaims",
    }[kind.lower()]
    ns = ev.get("namespace", ctx.scenario.namespace)
    obj = ctx.store.get(plural, "" if plural == "nodes" else ns, name)
    if obj is None:
        raise ValueError(f"scenario event refers to missing {ev['object']}")
    vars_ = {}
    if plural == "deployments":
        new_rs = new_rs_for(ctx.store, obj)
        vars_["rs"] = new_rs["metadata"]["name"] if new_rs else name
        older = sorted((rs for rs in ctx.store.owned("replicasets", obj) if rs is not new_rs), key=revision)
        vars_["previous_rs"] = older[-1]["metadata"]["name"] if older else name
    events.record(
        obj,
        ev["type"],
        ev["reason"],
        render(ev["message"], vars_),
        count=int(ev.get("count", 1)),
        ago=parse_duration(ev.get("ago"), 60),
        source=ev.get("source"),
        namespace=ns,
    )
