"""Judging a change by the difference the dry run shows: ownership and reserved prefixes."""

from __future__ import annotations

import copy
from typing import Any

from chalicelib.policy.classify import Change
from chalicelib.policy.effect import Observation, judge
from chalicelib.policy.settings import SafetySettings

OWNER = {"apiVersion": "apps/v1", "kind": "Deployment", "name": "api", "uid": "u1", "controller": True}


def replica_set(owned: bool) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": "api-old", "namespace": "production", "labels": {"app": "api"}}
    if owned:
        meta["ownerReferences"] = [OWNER]
    return {"kind": "ReplicaSet", "metadata": meta, "spec": {"replicas": 0}}


def judged(live: dict[str, Any], change: dict[tuple[str, ...], Any], verb: str = "patch") -> Any:
    result = copy.deepcopy(live)
    for path, value in change.items():
        *parents, leaf = path
        node = result
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    kind = live["kind"].lower()
    return judge(Change(verb, kind, live["metadata"]["name"], "production"), Observation(live, result), SafetySettings())


def test_what_a_controller_owns_is_the_controllers() -> None:
    owned = judged(replica_set(owned=True), {("spec", "replicas"): 3})
    assert owned.kind == "destructive" and "deployment/api" in owned.why
    # The same scale of an object nobody owns is an ordinary write.
    assert judged(replica_set(owned=False), {("spec", "replicas"): 3}).kind == "write"


def test_annotations_in_kubernetes_own_prefixes_are_not_plain_metadata() -> None:
    live = {"kind": "Deployment", "metadata": {"name": "api", "annotations": {}}, "spec": {"replicas": 3}}
    for key in ("kubectl.kubernetes.io/last-applied-configuration", "kubernetes.io/change-cause", "x.k8s.io/y"):
        verdict = judged(live, {("metadata", "annotations", key): "{}"}, "annotate")
        assert verdict.kind == "destructive", key
    assert judged(live, {("metadata", "annotations", "team/note"): "x"}, "annotate").kind == "write"
    assert judged(live, {("metadata", "annotations", "example.com/note"): "x"}, "annotate").kind == "write"
