"""``/openapi/v3`` documents: enough for kubectl's field-validation probe."""

from __future__ import annotations

from typing import Any

from sandbox.apimachinery.registry import GROUPS, resources_in


def openapi_v3_root() -> dict[str, Any]:
    """``/openapi/v3``: one document per group/version (enough for kubectl's field-validation probe)."""
    gvs = {("", "v1"), *((g, v) for g, v in GROUPS if g != "metrics.k8s.io")}
    paths = {}
    for g, v in sorted(gvs):
        key = f"apis/{g}/{v}" if g else "api/v1"
        paths[key] = {"serverRelativeURL": f"/openapi/v3/{key}?hash=sandbox"}
    return {"paths": paths}


def openapi_v3_doc(group: str, version: str) -> dict[str, Any] | None:
    """A minimal OpenAPI v3 document for a group/version: PATCH operations that accept fieldValidation.

    No schemas: kubectl then relies on server-side field validation and on its built-in types for
    client-side apply patches.
    """
    rs = [r for r in resources_in(group, version) if "patch" in r.verbs]
    if not rs:
        return None
    prefix = f"/apis/{group}/{version}" if group else "/api/v1"
    params = [
        {"name": n, "in": "query", "schema": {"type": "string", "uniqueItems": True}}
        for n in ("dryRun", "fieldManager", "fieldValidation", "force")
    ]
    paths: dict[str, Any] = {}
    for r in rs:
        ns = "/namespaces/{namespace}" if r.namespaced else ""
        gvk = {"group": group, "version": version, "kind": r.kind}
        paths[f"{prefix}{ns}/{r.plural}/{{name}}"] = {
            "patch": {
                "operationId": f"patch{r.kind}",
                "parameters": params,
                "x-kubernetes-action": "patch",
                "x-kubernetes-group-version-kind": gvk,
                "responses": {"200": {"description": "OK"}},
            }
        }
    return {
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes (sandbox)", "version": "v1.32.4"},
        "paths": paths,
        "components": {"schemas": {}},
    }
