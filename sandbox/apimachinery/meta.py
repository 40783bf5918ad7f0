"""ObjectMeta as the API server fills it in."""

from __future__ import annotations

from typing import Any

from sandbox.apimachinery.units import utc


def object_meta(
    name: str,
    namespace: str | None,
    *,
    uid: str,
    created: float,
    labels: dict[str, str] | None = None,
    annotations: dict[str, str] | None = None,
    owner: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Metadata for a new object; ``owner`` becomes its controller ownerReference."""
    meta: dict[str, Any] = {
        "name": name,
        "uid": uid,
        "resourceVersion": "0",
        "creationTimestamp": utc(created),
    }
    if namespace:
        meta["namespace"] = namespace
    if labels:
        meta["labels"] = dict(labels)
    if annotations:
        meta["annotations"] = dict(annotations)
    if owner:
        meta["ownerReferences"] = [
            {
                "apiVersion": owner["apiVersion"],
                "kind": owner["kind"],
                "name": owner["metadata"]["name"],
                "uid": owner["metadata"]["uid"],
                "controller": True,
                "blockOwnerDeletion": True,
            }
        ]
    return meta
