"""The resource registry: what the sandbox API server serves, per group/version."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Resource:
    plural: str
    singular: str
    kind: str
    group: str  # "" for core
    version: str
    namespaced: bool = True
    short_names: tuple[str, ...] = ()
    verbs: tuple[str, ...] = ("create", "delete", "get", "list", "patch", "update", "watch")
    subresources: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def group_version(self) -> str:
        return self.api_version


READ_ONLY = ("get", "list", "watch")
RESOURCES: list[Resource] = [
    Resource("namespaces", "namespace", "Namespace", "", "v1", False, ("ns",)),
    Resource("nodes", "node", "Node", "", "v1", False, ("no",), subresources=("status",)),
    Resource(
        "pods",
        "pod",
        "Pod",
        "",
        "v1",
        True,
        ("po",),
        subresources=("log", "status"),
        categories=("all",),
    ),
    Resource("services", "service", "Service", "", "v1", True, ("svc",), categories=("all",)),
    Resource("configmaps", "configmap", "ConfigMap", "", "v1", True, ("cm",)),
    Resource("secrets", "secret", "Secret", "", "v1", True),
    # Computed by the controller from each Service's selector and its pods' readiness.
    Resource("endpoints", "endpoints", "Endpoints", "", "v1", True, ("ep",), verbs=READ_ONLY),
    Resource(
        "persistentvolumeclaims",
        "persistentvolumeclaim",
        "PersistentVolumeClaim",
        "",
        "v1",
        True,
        ("pvc",),
        subresources=("status",),
    ),
    Resource("events", "event", "Event", "", "v1", True, ("ev",)),
    Resource(
        "deployments",
        "deployment",
        "Deployment",
        "apps",
        "v1",
        True,
        ("deploy",),
        subresources=("scale", "status"),
        categories=("all",),
    ),
    Resource(
        "replicasets",
        "replicaset",
        "ReplicaSet",
        "apps",
        "v1",
        True,
        ("rs",),
        subresources=("scale", "status"),
        categories=("all",),
    ),
    Resource(
        "statefulsets",
        "statefulset",
        "StatefulSet",
        "apps",
        "v1",
        True,
        ("sts",),
        subresources=("scale", "status"),
        categories=("all",),
    ),
    Resource("controllerrevisions", "controllerrevision", "ControllerRevision", "apps", "v1", True),
    Resource("events", "event", "Event", "events.k8s.io", "v1", True, ("ev",)),
    Resource("endpointslices", "endpointslice", "EndpointSlice", "discovery.k8s.io", "v1", True, verbs=READ_ONLY),
    Resource("storageclasses", "storageclass", "StorageClass", "storage.k8s.io", "v1", False, ("sc",)),
    Resource("pods", "", "PodMetrics", "metrics.k8s.io", "v1beta1", True, verbs=READ_ONLY),
    Resource("nodes", "", "NodeMetrics", "metrics.k8s.io", "v1beta1", False, verbs=READ_ONLY),
]

# groups in the order /apis lists them (core is served at /api)
GROUPS: list[tuple[str, str]] = [
    ("apps", "v1"),
    ("discovery.k8s.io", "v1"),
    ("events.k8s.io", "v1"),
    ("metrics.k8s.io", "v1beta1"),
    ("storage.k8s.io", "v1"),
]


def find_resource(group: str, version: str, plural: str) -> Resource | None:
    for r in RESOURCES:
        if r.group == group and r.version == version and r.plural == plural:
            return r
    return None


def get_resource(group: str, version: str, plural: str) -> Resource:
    """A resource the sandbox serves; KeyError for any other (a bug in the caller, not a client error)."""
    res = find_resource(group, version, plural)
    if res is None:
        raise KeyError(f"{group}/{version}/{plural}")
    return res


def resources_in(group: str, version: str) -> list[Resource]:
    return [r for r in RESOURCES if r.group == group and r.version == version]
