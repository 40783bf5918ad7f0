"""Kubernetes kinds as the policy names them: one singular, lower-case name per kind, its scope,
and the families the rules speak of (RBAC, storage, admission, ...).

A kind the table does not know (a custom resource, say) is still parsed; the rules then treat it
as one they cannot see into, which makes any change to it destructive.
"""

from __future__ import annotations

#: Every spelling kubectl accepts for the kinds the policy knows (plural, short name, singular).
_ALIASES: dict[str, tuple[str, ...]] = {
    "pod": ("pods", "po"),
    "deployment": ("deployments", "deploy"),
    "statefulset": ("statefulsets", "sts"),
    "daemonset": ("daemonsets", "ds"),
    "replicaset": ("replicasets", "rs"),
    "replicationcontroller": ("replicationcontrollers", "rc"),
    "job": ("jobs",),
    "cronjob": ("cronjobs", "cj"),
    "service": ("services", "svc"),
    "endpoints": ("ep",),
    "endpointslice": ("endpointslices",),
    "ingress": ("ingresses", "ing"),
    "ingressclass": ("ingressclasses",),
    "networkpolicy": ("networkpolicies", "netpol"),
    "configmap": ("configmaps", "cm"),
    "secret": ("secrets",),
    "serviceaccount": ("serviceaccounts", "sa"),
    "role": ("roles",),
    "rolebinding": ("rolebindings",),
    "clusterrole": ("clusterroles",),
    "clusterrolebinding": ("clusterrolebindings",),
    "persistentvolumeclaim": ("persistentvolumeclaims", "pvc"),
    "persistentvolume": ("persistentvolumes", "pv"),
    "storageclass": ("storageclasses", "sc"),
    "namespace": ("namespaces", "ns"),
    "node": ("nodes", "no"),
    "event": ("events", "ev"),
    "horizontalpodautoscaler": ("horizontalpodautoscalers", "hpa"),
    "poddisruptionbudget": ("poddisruptionbudgets", "pdb"),
    "limitrange": ("limitranges", "limits"),
    "resourcequota": ("resourcequotas", "quota"),
    "priorityclass": ("priorityclasses", "pc"),
    "customresourcedefinition": ("customresourcedefinitions", "crd", "crds"),
    "mutatingwebhookconfiguration": ("mutatingwebhookconfigurations",),
    "validatingwebhookconfiguration": ("validatingwebhookconfigurations",),
    "validatingadmissionpolicy": ("validatingadmissionpolicies",),
    "validatingadmissionpolicybinding": ("validatingadmissionpolicybindings",),
    "apiservice": ("apiservices",),
    "certificatesigningrequest": ("certificatesigningrequests", "csr"),
    "controllerrevision": ("controllerrevisions",),
    "lease": ("leases",),
    "runtimeclass": ("runtimeclasses",),
    "podtemplate": ("podtemplates",),
    "volumeattachment": ("volumeattachments",),
    "csidriver": ("csidrivers",),
    "csinode": ("csinodes",),
    "all": (),
}
_CANONICAL: dict[str, str] = {}
for _kind, _names in _ALIASES.items():
    _CANONICAL[_kind] = _kind
    for _name in _names:
        _CANONICAL[_name] = _kind

KNOWN_KINDS = frozenset(_ALIASES)

CLUSTER_SCOPED = frozenset(
    {
        "node",
        "namespace",
        "persistentvolume",
        "storageclass",
        "clusterrole",
        "clusterrolebinding",
        "customresourcedefinition",
        "mutatingwebhookconfiguration",
        "validatingwebhookconfiguration",
        "validatingadmissionpolicy",
        "validatingadmissionpolicybinding",
        "apiservice",
        "certificatesigningrequest",
        "priorityclass",
        "ingressclass",
        "runtimeclass",
        "volumeattachment",
        "csidriver",
        "csinode",
    }
)

RBAC_KINDS = frozenset({"role", "rolebinding", "clusterrole", "clusterrolebinding", "serviceaccount"})
STORAGE_KINDS = frozenset({"persistentvolume", "persistentvolumeclaim", "storageclass", "volumeattachment"})
ADMISSION_KINDS = frozenset(
    {
        "mutatingwebhookconfiguration",
        "validatingwebhookconfiguration",
        "validatingadmissionpolicy",
        "validatingadmissionpolicybinding",
    }
)
#: Changing one of these is destructive whatever the change: each family names why.
SENSITIVE_KINDS: dict[str, str] = {
    **{k: "RBAC decides who may do what in the cluster" for k in RBAC_KINDS},
    **{k: "storage holds data that cannot be recreated" for k in STORAGE_KINDS},
    **{k: "admission control can block or rewrite every change" for k in ADMISSION_KINDS},
    "secret": "Secrets hold credentials",
    "namespace": "a namespace holds everything in it",
    "node": "a node runs every workload scheduled on it",
    "customresourcedefinition": "removing or changing a CRD changes every object of that kind",
    "apiservice": "an APIService reroutes part of the Kubernetes API",
    "certificatesigningrequest": "certificates grant identities",
}
#: Workloads whose pod template the monitor and rollback know how to handle.
WORKLOAD_KINDS = frozenset({"deployment", "statefulset", "daemonset"})


def canonical_kind(text: str) -> str:
    """``deploy``, ``Deployments``, ``deployments.apps``, ``deployment.v1.apps`` -> ``deployment``.

    A kind the table does not know keeps its spelling (lower case, with its group), so a custom
    resource is still named exactly.
    """
    lowered = text.strip().lower()
    head = lowered.split(".", 1)[0]
    if head in _CANONICAL:
        return _CANONICAL[head]
    return lowered


def is_cluster_scoped(kind: str) -> bool:
    return kind in CLUSTER_SCOPED
