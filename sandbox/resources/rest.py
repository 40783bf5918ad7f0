"""The generic REST storage behind every resource: get, create, update, patch and delete with
resource-version preconditions, dry runs and the per-kind defaults; and the scale subresource."""

from __future__ import annotations

import copy
import json
from typing import Any

from sandbox.apimachinery.errors import ApiError, already_exists, bad_request, conflict, invalid, not_found
from sandbox.apimachinery.patch import apply_patch
from sandbox.apimachinery.registry import Resource
from sandbox.apimachinery.selectors import selector_string
from sandbox.apimachinery.store import Object
from sandbox.apimachinery.units import utc
from sandbox.resources.configmaps import normalise_secret
from sandbox.resources.context import ClusterContext, PodSim
from sandbox.resources.deployments import Deployments
from sandbox.resources.events import Events
from sandbox.resources.nodes import Nodes
from sandbox.resources.templates import NAME_CHARS, default_template, normalise
from sandbox.resources.validation import WORKLOAD_KINDS, prepare_update, validate


def _store_plural(res: Resource) -> str:
    # events.k8s.io/v1 Events are the core Events seen through another group.
    return "events" if res.group == "events.k8s.io" else res.plural


def scale_of(obj: dict[str, Any]) -> dict[str, Any]:
    meta = obj["metadata"]
    return {
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {
            k: meta[k] for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp") if k in meta
        },
        "spec": {"replicas": int(obj["spec"].get("replicas", 1))},
        "status": {
            "replicas": int((obj.get("status") or {}).get("replicas", 0)),
            "selector": selector_string(obj["spec"].get("selector")),
        },
    }


class RestStorage:
    def __init__(self, ctx: ClusterContext, events: Events, nodes: Nodes, deployments: Deployments) -> None:
        self.ctx = ctx
        self.events = events
        self.nodes = nodes
        self.deployments = deployments

    def get(self, res: Resource, namespace: str, name: str) -> Object:
        with self.ctx.store.lock:
            obj = self.ctx.store.get(_store_plural(res), namespace, name)
            if obj is None:
                raise not_found(res, name)
            return copy.deepcopy(obj)

    def patch(
        self, res: Resource, namespace: str, name: str, content_type: str, body: bytes, dry_run: bool
    ) -> dict[str, Any]:
        plural = _store_plural(res)
        with self.ctx.store.lock:
            old = self.ctx.store.get(plural, namespace, name)
            if old is None:
                if content_type.startswith("application/apply-patch+yaml"):  # server-side apply creates
                    obj = apply_patch({}, content_type, body)
                    obj.setdefault("metadata", {})["name"] = name
                    return self.create(res, namespace, obj, dry_run)
                raise not_found(res, name)
            patched = apply_patch(old, content_type, body)
            rv = (patched.get("metadata") or {}).get("resourceVersion")
            if rv and rv != old["metadata"]["resourceVersion"]:
                raise conflict(res, name)
            new = prepare_update(res, old, patched)
            validate(res, new, old)
            if dry_run:
                return copy.deepcopy(new)
            if normalise(new) == normalise(old):
                return copy.deepcopy(old)
            self.ctx.store.commit(plural, new, "MODIFIED")
            self._after_write(res, new)
            return copy.deepcopy(new)

    def replace(self, res: Resource, namespace: str, name: str, body: dict[str, Any], dry_run: bool) -> dict[str, Any]:
        plural = _store_plural(res)
        with self.ctx.store.lock:
            if (body.get("metadata") or {}).get("name") not in (None, name):
                raise bad_request(
                    f"the name of the object ({body['metadata']['name']}) does not match the name on the URL ({name})"
                )
            old = self.ctx.store.get(plural, namespace, name)
            if old is None:
                raise not_found(res, name)
            rv = (body.get("metadata") or {}).get("resourceVersion")
            if rv and rv != old["metadata"]["resourceVersion"]:
                raise conflict(res, name)
            new = prepare_update(res, old, body)
            validate(res, new, old)
            if dry_run:
                return copy.deepcopy(new)
            self.ctx.store.commit(plural, new, "MODIFIED")
            self._after_write(res, new)
            return copy.deepcopy(new)

    def create(self, res: Resource, namespace: str, body: dict[str, Any], dry_run: bool) -> dict[str, Any]:
        plural = _store_plural(res)
        with self.ctx.store.lock:
            body = copy.deepcopy(body)
            meta = body.setdefault("metadata", {})
            if not meta.get("name") and meta.get("generateName"):
                meta["name"] = meta["generateName"] + "".join(self.ctx.rng.choice(NAME_CHARS) for _ in range(5))
            name = meta.get("name", "")
            if res.namespaced:
                if ("", namespace) not in self.ctx.store.data["namespaces"]:
                    raise ApiError(
                        404,
                        "NotFound",
                        f'namespaces "{namespace}" not found',
                        details={"name": namespace, "kind": "namespaces"},
                    )
                meta["namespace"] = namespace
            validate(res, body, None)
            if self.ctx.store.get(plural, namespace if res.namespaced else "", name) is not None:
                raise already_exists(res, name)
            fresh = self.ctx.meta(name, namespace if res.namespaced else None)
            for k in ("uid", "creationTimestamp", "resourceVersion"):
                meta[k] = fresh[k]
            body["apiVersion"] = res.api_version
            body["kind"] = res.kind
            if res.kind in WORKLOAD_KINDS:
                meta["generation"] = 1
                default_template(body["spec"]["template"])
                body["spec"].setdefault("replicas", 1)
                body.setdefault("status", {})
                if res.kind == "Deployment":
                    body["spec"].setdefault(
                        "strategy",
                        {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}},
                    )
                    body["spec"].setdefault("revisionHistoryLimit", 10)
                    body["spec"].setdefault("progressDeadlineSeconds", 600)
            if res.kind == "Namespace":
                body.setdefault("status", {"phase": "Active"})
                body.setdefault("spec", {"finalizers": ["kubernetes"]})
            if res.kind == "Pod":
                body.setdefault("status", {"phase": "Pending"})
            if res.kind == "Secret":
                normalise_secret(body)
            if dry_run:
                return body
            self.ctx.store.commit(plural, body, "ADDED")
            if res.kind == "Pod":
                sim = PodSim(
                    "healthy",
                    copy.deepcopy(self.ctx.scenario.profiles["healthy"]),
                    created=self.ctx.now(),
                    initial=False,
                )
                node = self.nodes.pick(sim.profile)
                if node:
                    body["spec"]["nodeName"] = node["metadata"]["name"]
                self.ctx.podsim[meta["uid"]] = sim
            return copy.deepcopy(body)

    def delete(
        self, res: Resource, namespace: str, name: str, dry_run: bool, options: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        plural = _store_plural(res)
        with self.ctx.store.lock:
            old = self.ctx.store.get(plural, namespace, name)
            if old is None:
                raise not_found(res, name)
            pre = (options or {}).get("preconditions") or {}
            if pre.get("uid") and pre["uid"] != old["metadata"]["uid"]:
                raise conflict(res, name)
            if pre.get("resourceVersion") and pre["resourceVersion"] != old["metadata"]["resourceVersion"]:
                raise conflict(res, name)
            obj = copy.deepcopy(old)
            obj["metadata"]["deletionTimestamp"] = utc(self.ctx.now())
            grace = (options or {}).get("gracePeriodSeconds")
            obj["metadata"]["deletionGracePeriodSeconds"] = int(grace) if grace is not None else 30
            if dry_run:
                return obj
            if res.kind == "Pod":
                self.events.record(
                    old, "Normal", "Killing", f"Stopping container {old['spec']['containers'][0]['name']}"
                )
            if res.kind == "Namespace":
                for p in list(self.ctx.store.data):
                    for (ns, _n), o in list(self.ctx.store.data[p].items()):
                        if ns == name:
                            self.ctx.delete_now(p, o)
            self.ctx.store.commit(plural, copy.deepcopy(obj), "DELETED")
            if plural == "pods":
                self.ctx.podsim.pop(obj["metadata"]["uid"], None)
            return obj

    def get_scale(self, res: Resource, namespace: str, name: str) -> dict[str, Any]:
        obj = self.get(res, namespace, name)
        return scale_of(obj)

    def update_scale(
        self, res: Resource, namespace: str, name: str, *, content_type: str | None, body: bytes, dry_run: bool
    ) -> dict[str, Any]:
        with self.ctx.store.lock:
            obj = self.ctx.store.get(res.plural, namespace, name)
            if obj is None:
                raise not_found(res, name)
            scale = scale_of(obj)
            if content_type is None:  # PUT
                try:
                    new_scale = json.loads(body or b"{}")
                except ValueError as exc:
                    raise bad_request(str(exc)) from exc
            else:
                new_scale = apply_patch(scale, content_type, body)
            rv = (new_scale.get("metadata") or {}).get("resourceVersion")
            if rv and rv != obj["metadata"]["resourceVersion"]:
                raise conflict(res, name)
            replicas = (new_scale.get("spec") or {}).get("replicas", 0)
            if not isinstance(replicas, int) or isinstance(replicas, bool) or replicas < 0:
                raise invalid(
                    "Scale",
                    "autoscaling",
                    name,
                    [
                        (
                            "spec.replicas",
                            "FieldValueInvalid",
                            f"Invalid value: {json.dumps(replicas)}: must be greater than or equal to 0",
                        )
                    ],
                )
            new = copy.deepcopy(obj)
            new["spec"]["replicas"] = replicas
            if replicas != obj["spec"].get("replicas"):
                new["metadata"]["generation"] = int(obj["metadata"].get("generation", 1)) + 1
            if dry_run:
                out = scale_of(new)
                return out
            if replicas != obj["spec"].get("replicas"):
                self.ctx.store.commit(res.plural, new, "MODIFIED")
            return scale_of(new)

    def _after_write(self, res: Resource, obj: dict[str, Any]) -> None:
        if res.kind == "Deployment":
            self.deployments.note_progress(obj)
