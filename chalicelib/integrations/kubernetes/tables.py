"""``kubectl get`` tables without kubectl: the API server prints them, as it does for kubectl.

kubectl asks the server for a ``meta.k8s.io/v1 Table`` (``Accept: ...;as=Table``) and lays out
its columns; doing the same gives the model exactly the columns an SRE reads (READY, STATUS,
RESTARTS, AGE...), computed by the server's own printers.
"""

from __future__ import annotations

import json
from typing import Any

from .kinds import LIST_KIND, KubeCallError

TABLE_ACCEPT = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"

#: Plural kind -> (API prefix, namespaced).
RESOURCE_PATHS: dict[str, tuple[str, bool]] = {
    "pods": ("/api/v1", True),
    "services": ("/api/v1", True),
    "configmaps": ("/api/v1", True),
    "events": ("/api/v1", True),
    "persistentvolumeclaims": ("/api/v1", True),
    "nodes": ("/api/v1", False),
    "namespaces": ("/api/v1", False),
    "deployments": ("/apis/apps/v1", True),
    "statefulsets": ("/apis/apps/v1", True),
    "replicasets": ("/apis/apps/v1", True),
}


def resource_path(kind: str, namespace: str | None, name: str | None = None) -> str:
    """The REST path of ``kind`` (plural) in ``namespace`` (None: every namespace)."""
    if kind not in RESOURCE_PATHS:
        raise KubeCallError(f"cannot list {kind}")
    prefix, namespaced = RESOURCE_PATHS[kind]
    path = f"{prefix}/namespaces/{namespace}/{kind}" if namespaced and namespace else f"{prefix}/{kind}"
    return f"{path}/{name}" if name else path


def fetch_table(api: Any, path: str, label_selector: str | None = None) -> dict[str, Any]:
    """The server's Table for ``path`` (a list or one object)."""
    query = [("labelSelector", label_selector)] if label_selector else []
    method, url, headers, body, post = api.param_serialize(
        "GET", path, query_params=query, header_params={"Accept": TABLE_ACCEPT}, auth_settings=["BearerToken"]
    )
    response = api.call_api(method, url, headers, body, post)
    raw = response.read()
    if response.status >= 400:
        raise KubeCallError(f"Kubernetes API {response.status}: {response.reason}", raw.decode("utf-8", "replace"))
    data = json.loads(raw)
    if not isinstance(data, dict) or data.get("kind") != "Table":
        raise KubeCallError(f"the API server printed no table for {path}")
    return data


def qualified_kind(kind: str) -> str:
    """kubectl's name prefix of a plural kind when several kinds are listed (``deployment.apps``)."""
    singular = LIST_KIND[kind].lower()
    return f"{singular}.apps" if RESOURCE_PATHS[kind][0] == "/apis/apps/v1" else singular


def render_table(
    table: dict[str, Any], *, wide: bool = False, with_namespace: bool = False, name_prefix: str = ""
) -> str:
    """Columns padded like kubectl's (three spaces apart); priority-1 columns only when ``wide``.

    ``name_prefix`` (``pod/``) is how kubectl names rows when one command lists several kinds.
    """
    columns = table.get("columnDefinitions") or []
    shown = [i for i, c in enumerate(columns) if wide or int(c.get("priority", 0)) == 0]
    header = [str(columns[i].get("name", "")).upper() for i in shown]
    rows: list[list[str]] = []
    for row in table.get("rows") or []:
        cells = row.get("cells") or []
        values = [_cell(cells[i]) if i < len(cells) else "" for i in shown]
        if name_prefix and "NAME" in header:
            values[header.index("NAME")] = name_prefix + values[header.index("NAME")]
        if with_namespace:
            meta = (row.get("object") or {}).get("metadata") or {}
            values.insert(0, str(meta.get("namespace", "")))
        rows.append(values)
    if with_namespace:
        header.insert(0, "NAMESPACE")
    if not rows:
        return "No resources found."
    return layout([header, *rows])


def layout(lines: list[list[str]]) -> str:
    widths = [max(len(line[i]) for line in lines) for i in range(len(lines[0]))]
    return "\n".join("   ".join(v.ljust(w) for v, w in zip(line, widths, strict=True)).rstrip() for line in lines)


def _cell(value: Any) -> str:
    if value is None:
        return "<none>"
    if isinstance(value, list):
        return ",".join(str(v) for v in value) or "<none>"
    return str(value)
