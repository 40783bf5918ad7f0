"""StorageClasses, and what the volume provisioner makes of a claim: Bound when its class exists,
Pending with a ProvisioningFailed event when it does not."""

from __future__ import annotations

from typing import Any

from sandbox.resources.context import ClusterContext
from sandbox.scenarios import parse_duration

DEFAULT_CLASS = "storageclass.kubernetes.io/is-default-class"


def load_storage_classes(ctx: ClusterContext, now: float) -> None:
    for sc in ctx.scenario.storage_classes or []:
        meta = ctx.meta(str(sc["name"]), None, created=now - parse_duration(sc.get("age"), 300 * 86400))
        if sc.get("default"):
            meta["annotations"] = {DEFAULT_CLASS: "true"}
        ctx.store.commit(
            "storageclasses",
            {
                "apiVersion": "storage.k8s.io/v1",
                "kind": "StorageClass",
                "metadata": meta,
                "provisioner": str(sc.get("provisioner", "ebs.csi.aws.com")),
                "reclaimPolicy": str(sc.get("reclaim_policy", "Delete")),
                "volumeBindingMode": str(sc.get("binding_mode", "WaitForFirstConsumer")),
                "allowVolumeExpansion": bool(sc.get("allow_expansion", True)),
                "parameters": {k: str(v) for k, v in (sc.get("parameters") or {}).items()},
            },
            "ADDED",
        )


def missing_class(ctx: ClusterContext, spec: dict[str, Any]) -> str | None:
    """The StorageClass a claim names that the cluster does not have (the claim cannot bind). Only
    when the scenario lists its StorageClasses (``storage_classes:``); otherwise every claim binds."""
    if ctx.scenario.storage_classes is None:
        return None
    name = spec.get("storageClassName")
    if name is None:
        default = next(
            (
                sc
                for sc in ctx.store.objects("storageclasses")
                if (sc["metadata"].get("annotations") or {}).get(DEFAULT_CLASS) == "true"
            ),
            None,
        )
        return None if default is not None else ""
    return None if ctx.store.get("storageclasses", "", str(name)) is not None else str(name)
