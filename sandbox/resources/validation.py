"""What the API server checks and fills in on a write: field validation, and the fields an update
may not change (uid, creation time, status outside the status subresource)."""

from __future__ import annotations

import copy
import json
import re
from typing import Any

from sandbox.apimachinery.errors import invalid
from sandbox.apimachinery.registry import Resource
from sandbox.apimachinery.selectors import labels_match, selector_from_label_selector
from sandbox.resources.templates import default_template, normalise

WORKLOAD_KINDS = ("Deployment", "StatefulSet", "ReplicaSet")


def validate(res: Resource, obj: dict[str, Any], old: dict[str, Any] | None) -> None:
    name = obj.get("metadata", {}).get("name", "")
    causes: list[tuple[str, str, str]] = []
    if res.kind in ("Deployment", "StatefulSet", "ReplicaSet"):
        spec = obj.get("spec") or {}
        r = spec.get("replicas", 1)
        if not isinstance(r, int) or isinstance(r, bool) or r < 0:
            causes.append(
                (
                    "spec.replicas",
                    "FieldValueInvalid",
                    f"Invalid value: {json.dumps(r)}: must be greater than or equal to 0",
                )
            )
        tpl = spec.get("template") or {}
        containers = (tpl.get("spec") or {}).get("containers")
        if not containers:
            causes.append(("spec.template.spec.containers", "FieldValueRequired", "Required value"))
        for i, c in enumerate(containers or []):
            if not isinstance(c, dict) or not c.get("name"):
                causes.append((f"spec.template.spec.containers[{i}].name", "FieldValueRequired", "Required value"))
            if isinstance(c, dict) and not c.get("image"):
                causes.append((f"spec.template.spec.containers[{i}].image", "FieldValueRequired", "Required value"))
        sel = selector_from_label_selector(spec.get("selector"))
        if not sel:
            causes.append(("spec.selector", "FieldValueRequired", "Required value"))
        elif not labels_match(sel, (tpl.get("metadata") or {}).get("labels")):
            causes.append(
                (
                    "spec.template.metadata.labels",
                    "FieldValueInvalid",
                    f"Invalid value: {json.dumps((tpl.get('metadata') or {}).get('labels'))}: "
                    "`selector` does not match template `labels`",
                )
            )
        if old is not None and spec.get("selector") != old["spec"].get("selector"):
            causes.append(
                (
                    "spec.selector",
                    "FieldValueInvalid",
                    f"Invalid value: {json.dumps(spec.get('selector'))}: field is immutable",
                )
            )
    if res.kind == "Pod" and old is None:
        if not (obj.get("spec") or {}).get("containers"):
            causes.append(("spec.containers", "FieldValueRequired", "Required value"))

    if old is None and not re.match(r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$", name or ""):
        causes.append(
            (
                "metadata.name",
                "FieldValueInvalid",
                f'Invalid value: "{name}": a lowercase RFC 1123 subdomain must consist of lower case '
                "alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character",
            )
        )
    if causes:
        raise invalid(res.kind, res.group, name, causes)


def prepare_update(res: Resource, old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    new = copy.deepcopy(new)
    new["apiVersion"] = old["apiVersion"]
    new["kind"] = old["kind"]
    meta = new.setdefault("metadata", {})
    for k in ("uid", "creationTimestamp", "namespace", "ownerReferences", "generateName"):
        if k in old["metadata"]:
            meta.setdefault(k, old["metadata"][k])
            if k in ("uid", "creationTimestamp", "namespace"):
                meta[k] = old["metadata"][k]
    meta["name"] = old["metadata"]["name"]
    for k in [k for k, v in meta.items() if v is None]:
        meta.pop(k)
    if "status" in old:
        new["status"] = old["status"]  # status is only written through the status subresource
    if res.kind in ("Deployment", "StatefulSet", "ReplicaSet"):
        tpl = (new.get("spec") or {}).get("template")
        if isinstance(tpl, dict):
            default_template(tpl)
        if normalise(new.get("spec")) != normalise(old.get("spec")):
            meta["generation"] = int(old["metadata"].get("generation", 1)) + 1
        else:
            meta["generation"] = old["metadata"].get("generation", 1)
    return new
