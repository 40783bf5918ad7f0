"""Names the Kubernetes operations share: kinds and their aliases, the operation result, the error."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

READ_OPERATIONS = frozenset({"get", "describe", "logs", "events", "top", "rollout_status"})
WRITE_OPERATIONS = frozenset({"rollout_restart", "rollout_undo", "scale", "patch_resources", "delete_pod"})

KIND_ALIASES = {
    "po": "pods",
    "pod": "pods",
    "pods": "pods",
    "deploy": "deployments",
    "deployment": "deployments",
    "deployments": "deployments",
    "sts": "statefulsets",
    "statefulset": "statefulsets",
    "statefulsets": "statefulsets",
    "rs": "replicasets",
    "replicaset": "replicasets",
    "replicasets": "replicasets",
    "svc": "services",
    "service": "services",
    "services": "services",
    "cm": "configmaps",
    "configmap": "configmaps",
    "configmaps": "configmaps",
    "ev": "events",
    "event": "events",
    "events": "events",
    "no": "nodes",
    "node": "nodes",
    "nodes": "nodes",
    "pvc": "persistentvolumeclaims",
    "persistentvolumeclaim": "persistentvolumeclaims",
    "persistentvolumeclaims": "persistentvolumeclaims",
    "ns": "namespaces",
    "namespace": "namespaces",
    "namespaces": "namespaces",
}
LIST_KIND = {
    "pods": "Pod",
    "deployments": "Deployment",
    "statefulsets": "StatefulSet",
    "replicasets": "ReplicaSet",
    "services": "Service",
    "configmaps": "ConfigMap",
    "events": "Event",
    "nodes": "Node",
    "persistentvolumeclaims": "PersistentVolumeClaim",
    "namespaces": "Namespace",
}


class KubeCallError(Exception):
    def __init__(self, message: str, body: str = "") -> None:
        super().__init__(message)
        self.body = body


@dataclass
class OpResult:
    data: Any = None
    text: str | None = None
    snapshot: dict[str, Any] | None = None
    dry_run: dict[str, Any] | None = None


def normalise_kind(kind: str) -> str:
    kind = kind.lower().split(".", 1)[0]
    if kind not in KIND_ALIASES:
        raise KubeCallError(f"unsupported kind {kind!r}")
    return KIND_ALIASES[kind]


def split_target(arguments: dict[str, Any]) -> tuple[str, str]:
    kind, name = str(arguments.get("kind") or ""), str(arguments.get("name") or "")
    if "/" in name and not kind:
        kind, name = name.split("/", 1)
    if not kind or not name:
        raise KubeCallError("kind and name are required")
    return normalise_kind(kind), name
