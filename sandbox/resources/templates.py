"""Pod templates of the workload controllers: the API server's defaults, the template hash that names
a ReplicaSet, and templates built from a scenario's workload entries."""

from __future__ import annotations

import copy
import hashlib
import json
import math
from typing import Any

from sandbox.scenarios import _normalise_container

REVISION = "deployment.kubernetes.io/revision"
RESTARTED_AT = "kubectl.kubernetes.io/restartedAt"
CHANGE_CAUSE = "kubernetes.io/change-cause"
HASH_LABEL = "pod-template-hash"
STS_REVISION_LABEL = "controller-revision-hash"
STS_POD_NAME_LABEL = "statefulset.kubernetes.io/pod-name"
# The letters Kubernetes uses for generated name suffixes (no vowels, no look-alikes).
NAME_CHARS = "bcdfghjklmnpqrstvwxz2456789"


def pod_hash(template: dict[str, Any]) -> str:
    norm = normalise(copy.deepcopy(template))
    if isinstance(norm, dict):
        (norm.get("metadata") or {}).get("labels", {}).pop(HASH_LABEL, None)
        norm = normalise(norm)
    digest = hashlib.sha256(json.dumps(norm, sort_keys=True).encode()).digest()
    return "".join(NAME_CHARS[b % len(NAME_CHARS)] for b in digest[:10])


def normalise(obj: Any) -> Any:
    """Drop nulls and empty containers (Go's serialisation noise) for template comparison."""
    if isinstance(obj, dict):
        out = {k: normalise(v) for k, v in obj.items()}
        return {k: v for k, v in out.items() if v not in (None, {}, [], "")}
    if isinstance(obj, list):
        return [normalise(v) for v in obj]
    return obj


def default_template(tpl: dict[str, Any]) -> dict[str, Any]:
    """Apply the API server's pod-template defaults (so round trips compare equal)."""
    tpl.setdefault("metadata", {})
    tpl["metadata"].pop("creationTimestamp", None)
    spec = tpl.setdefault("spec", {})
    for c in spec.get("containers") or []:
        c.setdefault("resources", {})
        c.setdefault("terminationMessagePath", "/dev/termination-log")
        c.setdefault("terminationMessagePolicy", "File")
        image = str(c.get("image", ""))
        c.setdefault("imagePullPolicy", "Always" if image.endswith(":latest") or ":" not in image else "IfNotPresent")
        for p in c.get("ports") or []:
            p.setdefault("protocol", "TCP")
        for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
            if isinstance(c.get(probe), dict):
                for k, v in (
                    ("timeoutSeconds", 1),
                    ("periodSeconds", 10),
                    ("successThreshold", 1),
                    ("failureThreshold", 3),
                ):
                    c[probe].setdefault(k, v)
    spec.setdefault("restartPolicy", "Always")
    spec.setdefault("terminationGracePeriodSeconds", 30)
    spec.setdefault("dnsPolicy", "ClusterFirst")
    spec.setdefault("securityContext", {})
    spec.setdefault("schedulerName", "default-scheduler")
    return tpl


def int_or_percent(value: Any, total: int, round_up: bool) -> int:
    if value is None:
        value = "25%"
    if isinstance(value, str) and value.endswith("%"):
        frac = float(value[:-1]) * total / 100
        return math.ceil(frac) if round_up else math.floor(frac)
    return int(value)


def template_for(w: dict[str, Any], containers: list[dict[str, Any]]) -> dict[str, Any]:
    tpl: dict[str, Any] = {
        "metadata": {"labels": dict(w["labels"])},
        "spec": {"containers": copy.deepcopy(containers)},
    }
    if w.get("annotations"):
        tpl["metadata"]["annotations"] = dict(w["annotations"])
    for key in ("volumes", "serviceAccountName", "nodeSelector", "affinity", "tolerations", "imagePullSecrets"):
        if w.get(key):
            tpl["spec"][key] = copy.deepcopy(w[key])
    return default_template(tpl)


def history_containers(current: list[dict[str, Any]], entry: dict[str, Any]) -> list[dict[str, Any]]:
    if entry.get("containers"):
        cs: list[dict[str, Any]] = copy.deepcopy(entry["containers"])
        for c in cs:
            _normalise_container(c)
        return cs
    cs = copy.deepcopy(current)
    if entry.get("image"):
        cs[0]["image"] = entry["image"]
    if entry.get("resources"):
        # An older revision with other requests/limits (a lowered memory limit is a change too).
        cs[0]["resources"] = copy.deepcopy(entry["resources"])
    if entry.get("container"):
        # Any other field of the first container in that revision (probes, ports, args...).
        for k, v in entry["container"].items():
            if v is None:
                cs[0].pop(k, None)
            else:
                cs[0][k] = copy.deepcopy(v)
    if entry.get("env"):
        env = cs[0].setdefault("env", [])
        for k, v in entry["env"].items():
            for e in env:
                if e["name"] == k:
                    e.clear()
                    e.update({"name": k, "value": str(v)})
                    break
            else:
                env.append({"name": k, "value": str(v)})
    for k in entry.get("remove_env") or []:
        cs[0]["env"] = [e for e in cs[0].get("env", []) if e["name"] != k]
    return cs


def selector_for(w: dict[str, Any]) -> dict[str, Any]:
    labels = w["labels"]
    if w.get("selector"):
        return {"matchLabels": dict(w["selector"])}
    return {"matchLabels": {"app": labels["app"]} if "app" in labels else dict(labels)}


def revision(obj: dict[str, Any]) -> int:
    """The revision annotation of a Deployment or ReplicaSet (0 when missing or not a number)."""
    try:
        return int((obj["metadata"].get("annotations") or {}).get(REVISION, "0"))
    except ValueError:
        return 0
