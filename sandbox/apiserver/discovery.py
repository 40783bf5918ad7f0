"""Discovery documents: ``/version``, ``/api``, ``/apis`` and each group's resource list, from the
resource registry (kubectl reads them before anything else)."""

from __future__ import annotations

from typing import Any

from sandbox.apimachinery.registry import GROUPS, resources_in

GIT_VERSION = "v1.32.4-sandbox"
ROOT_PATHS = {"paths": ["/api", "/api/v1", "/apis", "/version", "/healthz"]}
VERSION_INFO: dict[str, Any] = {
    "major": "1",
    "minor": "32",
    "gitVersion": GIT_VERSION,
    "gitCommit": "0000000000000000000000000000000000000000",
    "gitTreeState": "clean",
    "buildDate": "2024-11-01T00:00:00Z",
    "goVersion": "go1.22.8",
    "compiler": "gc",
    "platform": "linux/amd64",
}


def find_group(group: str) -> tuple[str, str] | None:
    """(group, version) served for ``group``, or None."""
    return next(((g, v) for g, v in GROUPS if g == group), None)


def discovery_resources(group: str, version: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for r in resources_in(group, version):
        entry: dict[str, Any] = {
            "name": r.plural,
            "singularName": r.singular,
            "namespaced": r.namespaced,
            "kind": r.kind,
            "verbs": list(r.verbs),
        }
        if r.short_names:
            entry["shortNames"] = list(r.short_names)
        if r.categories:
            entry["categories"] = list(r.categories)
        out.append(entry)
        for sub in r.subresources:
            if sub == "scale":
                out.append(
                    {
                        "name": f"{r.plural}/scale",
                        "singularName": "",
                        "namespaced": r.namespaced,
                        "group": "autoscaling",
                        "version": "v1",
                        "kind": "Scale",
                        "verbs": ["get", "patch", "update"],
                    }
                )
            elif sub == "log":
                out.append(
                    {
                        "name": f"{r.plural}/log",
                        "singularName": "",
                        "namespaced": r.namespaced,
                        "kind": "Pod",
                        "verbs": ["get"],
                    }
                )
            else:
                out.append(
                    {
                        "name": f"{r.plural}/{sub}",
                        "singularName": "",
                        "namespaced": r.namespaced,
                        "kind": r.kind,
                        "verbs": ["get", "patch", "update"],
                    }
                )
    return out


def group_info(group: str, version: str) -> dict[str, Any]:
    gv = {"groupVersion": f"{group}/{version}", "version": version}
    return {"name": group, "versions": [gv], "preferredVersion": gv}


def api_versions(port: int) -> dict[str, Any]:
    return {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": f"127.0.0.1:{port}"}],
    }


def core_resource_list() -> dict[str, Any]:
    return {"kind": "APIResourceList", "groupVersion": "v1", "resources": discovery_resources("", "v1")}


def group_list() -> dict[str, Any]:
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": [group_info(g, v) for g, v in GROUPS]}


def api_group(group: str, version: str) -> dict[str, Any]:
    return {"kind": "APIGroup", "apiVersion": "v1", **group_info(group, version)}


def group_resource_list(group: str, version: str) -> dict[str, Any]:
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": f"{group}/{version}",
        "resources": discovery_resources(group, version),
    }
