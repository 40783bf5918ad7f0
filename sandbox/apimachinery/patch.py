"""The patch types: JSON patch (RFC 6902), merge patch (RFC 7386), strategic merge patch and
server-side apply (treated as a strategic merge)."""

from __future__ import annotations

import copy
import json
from typing import Any

import yaml

from sandbox.apimachinery.errors import ApiError, bad_request

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


def apply_patch(obj: dict[str, Any], content_type: str, body: bytes) -> dict[str, Any]:
    ctype = content_type.split(";")[0].strip().lower()
    try:
        if ctype == "application/apply-patch+yaml":
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
