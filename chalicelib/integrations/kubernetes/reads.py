"""The read operations (get, describe, events, logs, top, rollout status) on the ``kubernetes`` client."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from .kinds import LIST_KIND, KubeCallError, OpResult, normalise_kind, split_target

# The kubernetes SDK's errors (about 195 ms) and urllib3's (41 ms) are imported when a call runs.


class ReadOps:
    """Reads of one cluster; ``api``, ``core``, ``apps`` and ``custom`` are set by the client."""

    api: Any
    core: Any
    apps: Any
    custom: Any

    def _plain(self, obj: Any) -> Any:
        data = self.api.sanitize_for_serialization(obj)
        if isinstance(data, dict):
            data.get("metadata", {}).pop("managedFields", None)
            for item in data.get("items") or []:
                if isinstance(item, dict):
                    item.get("metadata", {}).pop("managedFields", None)
        return data

    def run(self, arguments: dict[str, Any]) -> OpResult:
        operation = arguments.get("operation")
        handler = getattr(self, f"op_{operation}")
        result: OpResult = self.call(lambda: handler(arguments))
        return result

    def call(self, request: Callable[[], Any]) -> Any:
        """``request()``, with the client's failures as :class:`KubeCallError`."""
        from kubernetes.client.exceptions import ApiException
        from urllib3.exceptions import HTTPError

        try:
            return request()
        except ApiException as exc:
            raise KubeCallError(f"Kubernetes API {exc.status}: {exc.reason}", str(exc.body or "")[:2000]) from exc
        except HTTPError as exc:
            raise KubeCallError(f"Kubernetes API unreachable: {exc}") from exc

    # --- reads ------------------------------------------------------------------------------

    def _read(self, kind: str, name: str, namespace: str) -> Any:
        readers: dict[str, Callable[[], Any]] = {
            "pods": lambda: self.core.read_namespaced_pod(name, namespace),
            "deployments": lambda: self.apps.read_namespaced_deployment(name, namespace),
            "statefulsets": lambda: self.apps.read_namespaced_stateful_set(name, namespace),
            "replicasets": lambda: self.apps.read_namespaced_replica_set(name, namespace),
            "services": lambda: self.core.read_namespaced_service(name, namespace),
            "configmaps": lambda: self.core.read_namespaced_config_map(name, namespace),
            "persistentvolumeclaims": lambda: self.core.read_namespaced_persistent_volume_claim(name, namespace),
            "nodes": lambda: self.core.read_node(name),
            "namespaces": lambda: self.core.read_namespace(name),
        }
        if kind not in readers:
            raise KubeCallError(f"cannot read {kind}")
        return readers[kind]()

    def _list(self, kind: str, namespace: str | None, selector: str | None) -> Any:
        """List ``kind`` in ``namespace``, or in every namespace when it is None (``kubectl -A``)."""
        kw: dict[str, Any] = {"label_selector": selector} if selector else {}
        if namespace is None and kind not in ("nodes", "namespaces"):
            everywhere: dict[str, Callable[[], Any]] = {
                "pods": lambda: self.core.list_pod_for_all_namespaces(**kw),
                "deployments": lambda: self.apps.list_deployment_for_all_namespaces(**kw),
                "statefulsets": lambda: self.apps.list_stateful_set_for_all_namespaces(**kw),
                "replicasets": lambda: self.apps.list_replica_set_for_all_namespaces(**kw),
                "services": lambda: self.core.list_service_for_all_namespaces(**kw),
                "configmaps": lambda: self.core.list_config_map_for_all_namespaces(**kw),
                "events": lambda: self.core.list_event_for_all_namespaces(**kw),
                "persistentvolumeclaims": lambda: self.core.list_persistent_volume_claim_for_all_namespaces(**kw),
            }
            if kind not in everywhere:
                raise KubeCallError(f"cannot list {kind} in all namespaces")
            return everywhere[kind]()
        namespace = namespace or "default"
        listers: dict[str, Callable[[], Any]] = {
            "pods": lambda: self.core.list_namespaced_pod(namespace, **kw),
            "deployments": lambda: self.apps.list_namespaced_deployment(namespace, **kw),
            "statefulsets": lambda: self.apps.list_namespaced_stateful_set(namespace, **kw),
            "replicasets": lambda: self.apps.list_namespaced_replica_set(namespace, **kw),
            "services": lambda: self.core.list_namespaced_service(namespace, **kw),
            "configmaps": lambda: self.core.list_namespaced_config_map(namespace, **kw),
            "events": lambda: self.core.list_namespaced_event(namespace, **kw),
            "persistentvolumeclaims": lambda: self.core.list_namespaced_persistent_volume_claim(namespace, **kw),
            "nodes": lambda: self.core.list_node(**kw),
            "namespaces": lambda: self.core.list_namespace(**kw),
        }
        if kind not in listers:
            raise KubeCallError(f"cannot list {kind}")
        return listers[kind]()

    def op_get(self, a: dict[str, Any]) -> OpResult:
        kind = normalise_kind(str(a.get("kind") or "pods"))
        everywhere = bool(a.get("all_namespaces"))
        namespace = str(a.get("namespace") or "default")
        if a.get("name"):
            if everywhere:
                raise KubeCallError("a resource cannot be retrieved by name across all namespaces")
            return OpResult(self._plain(self._read(kind, str(a["name"]), namespace)))
        listed = self._plain(self._list(kind, None if everywhere else namespace, a.get("label_selector")))
        items = listed.get("items", []) if isinstance(listed, dict) else []
        for item in items:
            item.setdefault("kind", LIST_KIND.get(kind, ""))
        return OpResult({"apiVersion": "v1", "kind": "List", "items": items})

    def op_describe(self, a: dict[str, Any]) -> OpResult:
        kind, name = split_target(a)
        namespace = str(a.get("namespace") or "default")
        obj = self._plain(self._read(kind, name, namespace))
        events = self._plain(self.core.list_namespaced_event(namespace, field_selector=f"involvedObject.name={name}"))
        return OpResult({"object": obj, "events": events.get("items", [])})

    def op_events(self, a: dict[str, Any]) -> OpResult:
        namespace = str(a.get("namespace") or "default")
        kw: dict[str, Any] = {}
        if a.get("name"):
            kw["field_selector"] = f"involvedObject.name={a['name']}"
        if a.get("all_namespaces"):
            listed = self._plain(self.core.list_event_for_all_namespaces(**kw))
        else:
            listed = self._plain(self.core.list_namespaced_event(namespace, **kw))
        items = listed.get("items", []) if isinstance(listed, dict) else []
        return OpResult({"apiVersion": "v1", "kind": "List", "items": items})

    def op_logs(self, a: dict[str, Any]) -> OpResult:
        name = str(a.get("name") or "")
        if name.startswith(("pod/", "pods/")):
            name = name.split("/", 1)[1]
        if not name:
            raise KubeCallError("logs needs a pod name")
        kw: dict[str, Any] = {"previous": bool(a.get("previous", False))}
        if a.get("container"):
            kw["container"] = str(a["container"])
        if a.get("tail"):
            kw["tail_lines"] = int(a["tail"])
        text = self.core.read_namespaced_pod_log(name, str(a.get("namespace") or "default"), **kw)
        return OpResult(text=str(text))

    def op_top(self, a: dict[str, Any]) -> OpResult:
        namespace = str(a.get("namespace") or "default")
        kind = normalise_kind(str(a.get("kind") or "pods"))
        if kind == "nodes":
            data = self.custom.list_cluster_custom_object("metrics.k8s.io", "v1beta1", "nodes")
        elif a.get("all_namespaces"):
            data = self.custom.list_cluster_custom_object("metrics.k8s.io", "v1beta1", "pods")
        else:
            data = self.custom.list_namespaced_custom_object("metrics.k8s.io", "v1beta1", namespace, "pods")
        return OpResult(data)

    def op_rollout_status(self, a: dict[str, Any]) -> OpResult:
        """Wait (bounded) until every replica runs the current template and is ready, like kubectl."""
        kind, name = split_target(a)
        namespace = str(a.get("namespace") or "default")
        deadline = time.monotonic() + float(a.get("timeout_seconds") or 30)
        while True:
            obj = self._plain(self._read(kind, name, namespace))
            spec, status = obj.get("spec") or {}, obj.get("status") or {}
            want = int(spec.get("replicas", 1))
            done = (
                int(status.get("observedGeneration", 0)) >= int(obj["metadata"].get("generation", 0))
                and int(status.get("updatedReplicas", 0) or 0) >= want
                and int(status.get("readyReplicas", 0) or 0) >= want
                and int(status.get("replicas", 0) or 0) <= want
            )
            if done:
                return OpResult(text=f'{kind[:-1]} "{name}" successfully rolled out')
            if time.monotonic() >= deadline:
                ready = status.get("readyReplicas", 0) or 0
                raise KubeCallError(
                    f"timed out waiting for {kind[:-1]}/{name} rollout: {ready} of {want} replicas ready"
                )
            time.sleep(0.5)
