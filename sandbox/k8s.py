"""Kubernetes API plumbing shared by the cluster state and the HTTP server.

Resource registry, Status errors, label/field selectors, the three patch flavours, quantities, times.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
from dataclasses import dataclass, field
from typing import Any


# --------------------------------------------------------------------------- resources
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
    Resource("pods", "", "PodMetrics", "metrics.k8s.io", "v1beta1", True, verbs=READ_ONLY),
    Resource("nodes", "", "NodeMetrics", "metrics.k8s.io", "v1beta1", False, verbs=READ_ONLY),
]

# groups in the order /apis lists them (core is served at /api)
GROUPS: list[tuple[str, str]] = [
    ("apps", "v1"),
    ("discovery.k8s.io", "v1"),
    ("events.k8s.io", "v1"),
    ("metrics.k8s.io", "v1beta1"),
]


def find_resource(group: str, version: str, plural: str) -> Resource | None:
    for r in RESOURCES:
        if r.group == group and r.version == version and r.plural == plural:
            return r
    return None


def resources_in(group: str, version: str) -> list[Resource]:
    return [r for r in RESOURCES if r.group == group and r.version == version]


# --------------------------------------------------------------------------- errors
class ApiError(Exception):
    """An error returned to the client as a ``Status`` object."""

    def __init__(
        self,
        code: int,
        reason: str,
        message: str,
        *,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details

    def status(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        }
        if self.details is not None:
            body["details"] = self.details
        return body


def _qualified(res: Resource) -> str:
    return f"{res.plural}.{res.group}" if res.group else res.plural


def not_found(res: Resource, name: str) -> ApiError:
    return ApiError(
        404,
        "NotFound",
        f'{_qualified(res)} "{name}" not found',
        details={"name": name, "group": res.group, "kind": res.plural},
    )


def already_exists(res: Resource, name: str) -> ApiError:
    return ApiError(
        409,
        "AlreadyExists",
        f'{_qualified(res)} "{name}" already exists',
        details={"name": name, "group": res.group, "kind": res.plural},
    )


def conflict(res: Resource, name: str) -> ApiError:
    return ApiError(
        409,
        "Conflict",
        f'Operation cannot be fulfilled on {_qualified(res)} "{name}": the object has been modified; '
        "please apply your changes to the latest version and try again",
        details={"name": name, "group": res.group, "kind": res.plural},
    )


def invalid(kind: str, group: str, name: str, causes: list[tuple[str, str, str]]) -> ApiError:
    """422 Invalid. ``causes`` = [(field, reason, message)] with reason like FieldValueInvalid."""
    msgs = "; ".join(f"{f}: {m}" for f, _r, m in causes)
    msg = f'{kind}.{group} "{name}" is invalid: {msgs}' if group else f'{kind} "{name}" is invalid: {msgs}'
    if len(causes) > 1:
        msg = f'{kind} "{name}" is invalid: [{", ".join(f"{f}: {m}" for f, _r, m in causes)}]'
    return ApiError(
        422,
        "Invalid",
        msg,
        details={
            "name": name,
            "group": group,
            "kind": kind,
            "causes": [{"reason": r, "message": m, "field": f} for f, r, m in causes],
        },
    )


def bad_request(message: str) -> ApiError:
    return ApiError(400, "BadRequest", message)


# --------------------------------------------------------------------------- selectors
@dataclass
class Requirement:
    key: str
    op: str  # = != in notin exists !exists
    values: list[str] = field(default_factory=list)

    def matches(self, labels: dict[str, str]) -> bool:
        has = self.key in labels
        val = labels.get(self.key)
        if self.op == "=":
            return has and val == self.values[0]
        if self.op == "!=":
            return not has or val != self.values[0]
        if self.op == "in":
            return has and val in self.values
        if self.op == "notin":
            return not has or val not in self.values
        if self.op == "exists":
            return has
        if self.op == "!exists":
            return not has
        return False


def _split_top(text: str) -> list[str]:
    parts, depth, cur = [], 0, ""
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    if cur.strip():
        parts.append(cur)
    return [p.strip() for p in parts if p.strip()]


_SET_RE = re.compile(r"^([^\s!=]+)\s+(in|notin)\s*\((.*)\)$")


def parse_label_selector(text: str | None) -> list[Requirement]:
    if not text:
        return []
    reqs: list[Requirement] = []
    for part in _split_top(text):
        m = _SET_RE.match(part)
        if m:
            reqs.append(Requirement(m.group(1), m.group(2), [v.strip() for v in m.group(3).split(",") if v.strip()]))
        elif "!=" in part:
            k, v = part.split("!=", 1)
            reqs.append(Requirement(k.strip(), "!=", [v.strip()]))
        elif "==" in part:
            k, v = part.split("==", 1)
            reqs.append(Requirement(k.strip(), "=", [v.strip()]))
        elif "=" in part:
            k, v = part.split("=", 1)
            reqs.append(Requirement(k.strip(), "=", [v.strip()]))
        elif part.startswith("!"):
            reqs.append(Requirement(part[1:].strip(), "!exists"))
        elif re.match(r"^[A-Za-z0-9_./-]+$", part):
            reqs.append(Requirement(part, "exists"))
        else:
            raise bad_request(f"unable to parse requirement: {part!r}")
    return _check_requirements(reqs, text)


_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
_LABEL_KEY = re.compile(r"^([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")


def _check_requirements(reqs: list[Requirement], text: str) -> list[Requirement]:
    for r in reqs:
        if not _LABEL_KEY.match(r.key) or not all(_LABEL_VALUE.match(v) for v in r.values):
            raise bad_request(f"unable to parse requirement: invalid label selector {text!r}")
    return reqs


def labels_match(reqs: list[Requirement], labels: dict[str, str] | None) -> bool:
    labels = labels or {}
    return all(r.matches(labels) for r in reqs)


def selector_from_label_selector(sel: dict[str, Any] | None) -> list[Requirement]:
    """A ``LabelSelector`` object (matchLabels/matchExpressions) -> requirements."""
    reqs: list[Requirement] = []
    if not sel:
        return reqs
    for k, v in (sel.get("matchLabels") or {}).items():
        reqs.append(Requirement(k, "=", [v]))
    for expr in sel.get("matchExpressions") or []:
        op = {"In": "in", "NotIn": "notin", "Exists": "exists", "DoesNotExist": "!exists"}[expr["operator"]]
        reqs.append(Requirement(expr["key"], op, list(expr.get("values") or [])))
    return reqs


def selector_string(sel: dict[str, Any] | None) -> str:
    parts = [f"{k}={v}" for k, v in sorted((sel or {}).get("matchLabels", {}).items())]
    for expr in (sel or {}).get("matchExpressions") or []:
        op = expr["operator"]
        if op in ("In", "NotIn"):
            parts.append(f"{expr['key']} {op.lower()} ({','.join(expr.get('values') or [])})")
        elif op == "Exists":
            parts.append(expr["key"])
        else:
            parts.append("!" + expr["key"])
    return ",".join(parts)


def parse_field_selector(text: str | None) -> list[tuple[str, str, str]]:
    """``metadata.name=x,status.phase!=Failed`` -> [(path, op, value)]."""
    out: list[tuple[str, str, str]] = []
    if not text:
        return out
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        if "!=" in part:
            k, v = part.split("!=", 1)
            out.append((k.strip(), "!=", v.strip()))
        elif "==" in part:
            k, v = part.split("==", 1)
            out.append((k.strip(), "=", v.strip()))
        elif "=" in part:
            k, v = part.split("=", 1)
            out.append((k.strip(), "=", v.strip()))
        else:
            raise bad_request(f"invalid selector: {part!r}; can't understand {part!r}")
    return out


def dig(obj: Any, path: str) -> Any:
    cur = obj
    for seg in path.split("."):
        if isinstance(cur, dict):
            cur = cur.get(seg)
        else:
            return None
    return cur


def fields_match(sel: list[tuple[str, str, str]], obj: dict[str, Any]) -> bool:
    for path, op, value in sel:
        actual = dig(obj, path)
        actual_s = "" if actual is None else str(actual)
        if op == "=" and actual_s != value:
            return False
        if op == "!=" and actual_s == value:
            return False
    return True


# --------------------------------------------------------------------------- patches
# strategic-merge list merge keys (subset of the real patchMergeKey tags)
MERGE_KEYS: dict[str, str] = {
    "containers": "name",
    "initContainers": "name",
    "ephemeralContainers": "name",
    "env": "name",
    "ports": "containerPort",
    "volumes": "name",
    "volumeMounts": "mountPath",
    "volumeDevices": "devicePath",
    "imagePullSecrets": "name",
    "conditions": "type",
    "ownerReferences": "uid",
    "hostAliases": "ip",
    "topologySpreadConstraints": "topologyKey",
    "resourceClaims": "name",
}


def json_merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for k, v in patch.items():
        if v is None:
            result.pop(k, None)
        else:
            result[k] = json_merge_patch(result.get(k), v)
    return result


def strategic_merge_patch(target: Any, patch: Any, key: str = "") -> Any:
    """A practical subset of Kubernetes strategic merge patch."""
    if isinstance(patch, list):
        return _smp_list(target, patch, key)
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    if patch.get("$patch") == "replace":
        return {k: copy.deepcopy(v) for k, v in patch.items() if k != "$patch"}
    if patch.get("$patch") == "delete":
        return None
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    retain = patch.get("$retainKeys")
    for k, v in patch.items():
        if k.startswith("$setElementOrder/") or k in ("$retainKeys", "$patch"):
            continue
        if k.startswith("$deleteFromPrimitiveList/"):
            name = k.split("/", 1)[1]
            result[name] = [x for x in result.get(name) or [] if x not in v]
            continue
        if v is None:
            result.pop(k, None)
            continue
        merged = strategic_merge_patch(result.get(k), v, k)
        if merged is None and isinstance(v, dict) and v.get("$patch") == "delete":
            result.pop(k, None)
        else:
            result[k] = merged
    if isinstance(retain, list):
        for k in list(result):
            if k not in retain:
                result.pop(k)
    return result


def _smp_list(target: Any, patch: list[Any], key: str) -> list[Any]:
    mk = MERGE_KEYS.get(key)
    if not mk or not isinstance(target, list) or not all(isinstance(p, dict) for p in patch):
        return [copy.deepcopy(p) for p in patch if not (isinstance(p, dict) and p.get("$patch"))]
    if any(p.get("$patch") == "replace" for p in patch):
        return [copy.deepcopy(p) for p in patch if p.get("$patch") != "replace"]
    result = copy.deepcopy(target)
    for item in patch:
        kv = item.get(mk)
        idx = next((i for i, t in enumerate(result) if isinstance(t, dict) and t.get(mk) == kv), None)
        if item.get("$patch") == "delete":
            if idx is not None:
                result.pop(idx)
            continue
        if idx is None:
            result.append(strategic_merge_patch({}, item))
        else:
            result[idx] = strategic_merge_patch(result[idx], item)
    return result


def _pointer(path: str) -> list[str]:
    if path == "":
        return []
    if not path.startswith("/"):
        raise bad_request(f"invalid JSON pointer {path!r}")
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def _walk(doc: Any, parts: list[str]) -> Any:
    cur = doc
    for p in parts:
        if isinstance(cur, list):
            cur = cur[int(p)]
        elif isinstance(cur, dict):
            cur = cur[p]
        else:
            raise KeyError(p)
    return cur


def json_patch(doc: Any, ops: Any) -> Any:
    """RFC 6902 (add, remove, replace, move, copy, test)."""
    if not isinstance(ops, list):
        raise bad_request("json patch must be a list of operations")
    doc = copy.deepcopy(doc)
    for op in ops:
        try:
            kind = op["op"]
            parts = _pointer(op["path"])
            if kind == "test":
                if _walk(doc, parts) != op.get("value"):
                    raise ApiError(
                        422, "Invalid", f"the server rejected our request: test operation failed at {op['path']}"
                    )
                continue
            if kind in ("move", "copy"):
                src = _pointer(op["from"])
                value = copy.deepcopy(_walk(doc, src))
                if kind == "move":
                    doc = _remove(doc, src)
                doc = _add(doc, parts, value, replace=False)
                continue
            if kind == "remove":
                doc = _remove(doc, parts)
            elif kind == "add":
                doc = _add(doc, parts, copy.deepcopy(op.get("value")), replace=False)
            elif kind == "replace":
                _walk(doc, parts)  # must exist
                doc = _add(doc, parts, copy.deepcopy(op.get("value")), replace=True)
            else:
                raise bad_request(f"unknown json patch op {kind!r}")
        except (KeyError, IndexError, ValueError, TypeError) as exc:
            if isinstance(exc, ApiError):
                raise
            raise ApiError(
                422, "Invalid", f"the server rejected our request due to an error in our request: {op!r}: {exc}"
            ) from exc
    return doc


def _add(doc: Any, parts: list[str], value: Any, *, replace: bool) -> Any:
    if not parts:
        return value
    parent = _walk(doc, parts[:-1])
    last = parts[-1]
    if isinstance(parent, list):
        if last == "-":
            parent.append(value)
        elif replace:
            parent[int(last)] = value
        else:
            parent.insert(int(last), value)
    elif isinstance(parent, dict):
        parent[last] = value
    else:
        raise KeyError(last)
    return doc


def _remove(doc: Any, parts: list[str]) -> Any:
    parent = _walk(doc, parts[:-1])
    last = parts[-1]
    if isinstance(parent, list):
        parent.pop(int(last))
    else:
        del parent[last]
    return doc


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


def apply_patch(obj: dict[str, Any], content_type: str, body: bytes) -> dict[str, Any]:
    ctype = content_type.split(";")[0].strip().lower()
    try:
        if ctype == "application/apply-patch+yaml":
            import yaml

            patch = yaml.safe_load(body or b"null")
        else:
            patch = json.loads(body or b"null")
    except ValueError as exc:
        raise bad_request(f"error decoding patch: {exc}") from exc
    if ctype == "application/json-patch+json":
        out = json_patch(obj, patch)
    elif ctype == "application/merge-patch+json":
        out = json_merge_patch(obj, patch)
    elif ctype == "application/strategic-merge-patch+json":
        out = strategic_merge_patch(obj, patch)
    elif ctype == "application/apply-patch+yaml":
        out = strategic_merge_patch(obj, patch)
    else:
        raise ApiError(415, "UnsupportedMediaType", f"the body of the request was in an unknown format: {ctype}")
    if not isinstance(out, dict):
        raise ApiError(422, "Invalid", "patch produced a non-object")
    return out


# --------------------------------------------------------------------------- quantities & time
_SUFFIX = {
    "Ki": 1024,
    "Mi": 1024**2,
    "Gi": 1024**3,
    "Ti": 1024**4,
    "k": 1000,
    "M": 1000**2,
    "G": 1000**3,
    "T": 1000**4,
    "m": 0.001,
    "": 1,
}


def parse_quantity(q: str | int | float | None) -> float:
    if q is None:
        return 0.0
    if isinstance(q, int | float):
        return float(q)
    m = re.match(r"^([0-9.]+)([A-Za-z]*)$", str(q).strip())
    if not m or m.group(2) not in _SUFFIX:
        raise ValueError(f"bad quantity {q!r}")
    return float(m.group(1)) * _SUFFIX[m.group(2)]


def cpu_milli(q: str | int | float | None) -> int:
    return round(parse_quantity(q) * 1000)


def mem_bytes(q: str | int | float | None) -> int:
    return round(parse_quantity(q))


def utc(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def utc_micro(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_time(text: str | None) -> float | None:
    if not text:
        return None
    try:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def human_duration(seconds: float) -> str:
    """kubectl's ``duration.HumanDuration``."""
    s = int(seconds)
    if s < -1:
        return "<invalid>"
    if s < 0:
        return "0s"
    if s < 60 * 2:
        return f"{s}s"
    minutes = s // 60
    if minutes < 10:
        rem = s % 60
        return f"{minutes}m{rem}s" if rem else f"{minutes}m"
    if minutes < 60 * 3:
        return f"{minutes}m"
    hours = minutes // 60
    if hours < 8:
        rem = minutes % 60
        return f"{hours}h{rem}m" if rem else f"{hours}h"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        rem = hours % 24
        return f"{hours // 24}d{rem}h" if rem else f"{hours // 24}d"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        days = hours // 24 % 365
        return f"{hours // 24 // 365}y{days}d" if days else f"{hours // 24 // 365}y"
    return f"{hours // 24 // 365}y"
