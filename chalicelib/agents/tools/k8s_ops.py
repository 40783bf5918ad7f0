"""Operations of the Kubernetes tool, on the ``kubernetes`` client (imported when first used)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from chalicelib.agents.tools.kubectl import KubectlCall, parse_kubectl
from chalicelib.errors import ToolRefused

READ_OPERATIONS = frozenset({"get", "describe", "logs", "events", "top", "rollout_status"})
WRITE_OPERATIONS = frozenset({"rollout_restart", "rollout_undo", "scale", "patch_resources", "delete_pod"})

_KIND_ALIASES = {
    "po": "pods",
    "pod": "pods",
    "pods": "pods",
    "deploy": "deployments",
    "deployment": "deployments",
    "deployments": "deployments",
    "sts": "statefulsets",
    "statefulset": "statefulsets",
    "statefulsets": "statefulsets",
    "rs": "replicasets",
    "replicaset": "replicasets",
    "replicasets": "replicasets",
    "svc": "services",
    "service": "services",
    "services": "services",
    "cm": "configmaps",
    "configmap": "configmaps",
    "configmaps": "configmaps",
    "ev": "events",
    "event": "events",
    "events": "events",
    "no": "nodes",
    "node": "nodes",
    "nodes": "nodes",
    "pvc": "persistentvolumeclaims",
    "persistentvolumeclaim": "persistentvolumeclaims",
    "persistentvolumeclaims": "persistentvolumeclaims",
    "ns": "namespaces",
    "namespace": "namespaces",
    "namespaces": "namespaces",
}
_LIST_KIND = {
    "pods": "Pod",
    "deployments": "Deployment",
    "statefulsets": "StatefulSet",
    "replicasets": "ReplicaSet",
    "services": "Service",
    "configmaps": "ConfigMap",
    "events": "Event",
    "nodes": "Node",
    "persistentvolumeclaims": "PersistentVolumeClaim",
    "namespaces": "Namespace",
}


class KubeCallError(Exception):
    def __init__(self, message: str, body: str = "") -> None:
        super().__init__(message)
        self.body = body


@dataclass
class OpResult:
    data: Any = None
    text: str | None = None
    snapshot: dict[str, Any] | None = None
    dry_run: dict[str, Any] | None = None


def normalise_kind(kind: str) -> str:
    kind = kind.lower().split(".", 1)[0]
    if kind not in _KIND_ALIASES:
        raise KubeCallError(f"unsupported kind {kind!r}")
    return _KIND_ALIASES[kind]


def _split_target(arguments: dict[str, Any]) -> tuple[str, str]:
    kind, name = str(arguments.get("kind") or ""), str(arguments.get("name") or "")
    if "/" in name and not kind:
        kind, name = name.split("/", 1)
    if not kind or not name:
        raise KubeCallError("kind and name are required")
    return normalise_kind(kind), name


class KubeOps:
    def __init__(self, kubeconfig: str | None) -> None:
        from kubernetes import client
        from kubernetes import config as kube_config  # heavy: only when the tool is used

        config: Any = kube_config  # the kubernetes package is untyped

        try:
            if kubeconfig:
                self.api = config.new_client_from_config(config_file=kubeconfig)
            else:
                try:
                    config.load_incluster_config()
                    self.api = client.ApiClient()
                except config.ConfigException:
                    self.api = config.new_client_from_config()
        except Exception as exc:
            raise KubeCallError(f"no usable Kubernetes configuration: {exc}") from exc
        self.core = client.CoreV1Api(self.api)
        self.apps = client.AppsV1Api(self.api)
        self.custom = client.CustomObjectsApi(self.api)

    def close(self) -> None:
        self.api.close()

    def _plain(self, obj: Any) -> Any:
        data = self.api.sanitize_for_serialization(obj)
        if isinstance(data, dict):
            data.get("metadata", {}).pop("managedFields", None)
            for item in data.get("items") or []:
                if isinstance(item, dict):
                    item.get("metadata", {}).pop("managedFields", None)
        return data

    def run(self, arguments: dict[str, Any]) -> OpResult:
        from kubernetes.client.exceptions import ApiException
        from urllib3.exceptions import HTTPError

        operation = arguments.get("operation")
        try:
            handler = getattr(self, f"op_{operation}")
            result: OpResult = handler(arguments)
            return result
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
            item.setdefault("kind", _LIST_KIND.get(kind, ""))
        return OpResult({"apiVersion": "v1", "kind": "List", "items": items})

    def op_describe(self, a: dict[str, Any]) -> OpResult:
        kind, name = _split_target(a)
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
        import time

        kind, name = _split_target(a)
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

    # --- changes ----------------------------------------------------------------------------

    def _patch(self, kind: str, name: str, namespace: str, body: Any, dry_run: bool) -> Any:
        kw: dict[str, Any] = {"dry_run": "All"} if dry_run else {}
        if kind == "deployments":
            return self.apps.patch_namespaced_deployment(name, namespace, body, **kw)
        if kind == "statefulsets":
            return self.apps.patch_namespaced_stateful_set(name, namespace, body, **kw)
        raise KubeCallError(f"cannot change {kind}; deployments and statefulsets only")

    def _change(self, kind: str, name: str, namespace: str, body: Any, summary: str) -> OpResult:
        snapshot = self._plain(self._read(kind, name, namespace))
        dry = self._plain(self._patch(kind, name, namespace, body, dry_run=True))
        applied = self._plain(self._patch(kind, name, namespace, body, dry_run=False))
        generation = (applied.get("metadata") or {}).get("generation")
        return OpResult(
            {"result": summary, "generation": generation, "dry_run": "passed"},
            snapshot=snapshot,
            dry_run={"generation": (dry.get("metadata") or {}).get("generation")},
        )

    def op_rollout_restart(self, a: dict[str, Any]) -> OpResult:
        kind, name = _split_target(a)
        namespace = str(a.get("namespace") or "default")
        now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        # What kubectl does: a new template annotation makes the controller roll every pod.
        body = {"spec": {"template": {"metadata": {"annotations": {"kubectl.kubernetes.io/restartedAt": now}}}}}
        return self._change(kind, name, namespace, body, f"{kind[:-1]}.apps/{name} restarted")

    def op_scale(self, a: dict[str, Any]) -> OpResult:
        kind, name = _split_target(a)
        if "replicas" not in a:
            raise KubeCallError("scale needs replicas")
        body = {"spec": {"replicas": int(a["replicas"])}}
        return self._change(kind, name, str(a.get("namespace") or "default"), body, f"{kind[:-1]}.apps/{name} scaled")

    def op_patch_resources(self, a: dict[str, Any]) -> OpResult:
        kind, name = _split_target(a)
        namespace = str(a.get("namespace") or "default")
        resources = a.get("resources")
        if not isinstance(resources, dict) or not set(resources) <= {"requests", "limits"}:
            raise KubeCallError("resources must be {requests: {...}, limits: {...}}")
        container = a.get("container")
        if not container:
            current = self._plain(self._read(kind, name, namespace))
            container = current["spec"]["template"]["spec"]["containers"][0]["name"]
        body = {"spec": {"template": {"spec": {"containers": [{"name": container, "resources": resources}]}}}}
        return self._change(kind, name, namespace, body, f"{kind[:-1]}.apps/{name} patched")

    def op_delete_pod(self, a: dict[str, Any]) -> OpResult:
        name = str(a.get("name") or "")
        if name.startswith(("pod/", "pods/")):
            name = name.split("/", 1)[1]
        namespace = str(a.get("namespace") or "default")
        snapshot = self._plain(self.core.read_namespaced_pod(name, namespace))
        self.core.delete_namespaced_pod(name, namespace, dry_run="All")
        self.core.delete_namespaced_pod(name, namespace)
        return OpResult({"result": f'pod "{name}" deleted'}, snapshot=snapshot, dry_run={"passed": True})

    # --- the change protocol's halves (the policy gate and the monitor call these) -----------

    def preflight(self, arguments: dict[str, Any]) -> OpResult:
        """Snapshot the target and send the change as a server-side dry run; change nothing.

        The API server's admission and validation judge the change before it is allowed to run;
        the snapshot is what a rollback restores.
        """
        from kubernetes.client.exceptions import ApiException

        operation = str(arguments.get("operation") or "")
        try:
            if operation == "delete_pod":
                name = str(arguments.get("name") or "").split("/")[-1]
                namespace = str(arguments.get("namespace") or "default")
                snapshot = self._plain(self.core.read_namespaced_pod(name, namespace))
                self.core.delete_namespaced_pod(name, namespace, dry_run="All")
                return OpResult(snapshot=snapshot, dry_run={"passed": True, "object": None})
            kind, name = _split_target(arguments)
            namespace = str(arguments.get("namespace") or "default")
            snapshot = self._plain(self._read(kind, name, namespace))
            body = self._body_for(operation, kind, name, namespace, arguments)
            dry = self._plain(self._patch(kind, name, namespace, body, dry_run=True))
            revisions = self.revision_templates(kind, name, namespace) if operation == "rollout_undo" else []
            return OpResult(
                snapshot=snapshot,
                dry_run={
                    "generation": (dry.get("metadata") or {}).get("generation"),
                    "object": dry,
                    "revisions": revisions,
                },
            )
        except ApiException as exc:
            raise KubeCallError(f"Kubernetes API {exc.status}: {exc.reason}", str(exc.body or "")[:2000]) from exc

    def snapshot(self, kind: str, name: str, namespace: str) -> dict[str, Any] | None:
        """The object as it is now, or None when it cannot be read (missing, unsupported kind)."""
        from kubernetes.client.exceptions import ApiException

        try:
            data: dict[str, Any] = self._plain(self._read(normalise_kind(kind), name, namespace))
        except (ApiException, KubeCallError):
            return None
        return data

    def _body_for(self, operation: str, kind: str, name: str, namespace: str, a: dict[str, Any]) -> Any:
        if operation == "rollout_restart":
            now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            return {"spec": {"template": {"metadata": {"annotations": {"kubectl.kubernetes.io/restartedAt": now}}}}}
        if operation == "scale":
            return {"spec": {"replicas": int(a["replicas"])}}
        if operation == "patch_resources":
            container = a.get("container")
            if not container:
                current = self._plain(self._read(kind, name, namespace))
                container = current["spec"]["template"]["spec"]["containers"][0]["name"]
            return {"spec": {"template": {"spec": {"containers": [{"name": container, "resources": a["resources"]}]}}}}
        if operation == "rollout_undo":
            return self._undo_body(kind, name, namespace, a)[0]
        # Anything else: an empty patch still runs admission on the object.
        return {}

    def restore(self, snapshot: dict[str, Any]) -> OpResult:
        """Put a workload's template and replica count back as the snapshot had them.

        A replace (not a merge patch) so annotations the change added, such as restartedAt, go
        away and the controller rolls back to the snapshot's own revision. Dry run first.
        """
        from kubernetes.client.exceptions import ApiException

        kind = normalise_kind(str(snapshot.get("kind") or ""))
        meta = snapshot.get("metadata") or {}
        name, namespace = str(meta.get("name")), str(meta.get("namespace") or "default")
        if kind not in ("deployments", "statefulsets"):
            raise KubeCallError(f"cannot restore {kind}; deployments and statefulsets only")
        try:
            current = self._plain(self._read(kind, name, namespace))
            current["spec"]["template"] = json.loads(json.dumps(snapshot["spec"]["template"]))
            current["spec"]["replicas"] = snapshot["spec"].get("replicas", current["spec"].get("replicas"))
            replace = (
                self.apps.replace_namespaced_deployment
                if kind == "deployments"
                else self.apps.replace_namespaced_stateful_set
            )
            replace(name, namespace, current, dry_run="All")
            applied = self._plain(replace(name, namespace, current))
        except ApiException as exc:
            raise KubeCallError(f"Kubernetes API {exc.status}: {exc.reason}", str(exc.body or "")[:2000]) from exc
        return OpResult({"result": f"{kind[:-1]}/{name} restored from the snapshot"}, snapshot=applied)

    def health(self, kind: str, name: str, namespace: str) -> dict[str, Any]:
        """Rollout progress, readiness and restart counts of a workload's pods, for the monitor."""
        kind = normalise_kind(kind)
        obj = self._plain(self._read(kind, name, namespace))
        spec, status = obj.get("spec") or {}, obj.get("status") or {}
        want = int(spec.get("replicas", 1))
        selector = ",".join(
            f"{k}={v}" for k, v in sorted(((spec.get("selector") or {}).get("matchLabels") or {}).items())
        )
        pods = self._plain(self._list("pods", namespace, selector or None)).get("items", [])
        restarts = 0
        waiting: list[str] = []
        for pod in pods:
            for cs in (pod.get("status") or {}).get("containerStatuses") or []:
                restarts += int(cs.get("restartCount") or 0)
                reason = ((cs.get("state") or {}).get("waiting") or {}).get("reason")
                if reason:
                    waiting.append(f"{pod['metadata']['name']}: {reason}")
        rolled_out = (
            int(status.get("observedGeneration", 0)) >= int(obj["metadata"].get("generation", 0))
            and int(status.get("updatedReplicas", 0) or 0) >= want
            and int(status.get("replicas", 0) or 0) <= want
        )
        ready = int(status.get("readyReplicas", 0) or 0)
        return {
            "want": want,
            "ready": ready,
            "rolled_out": rolled_out,
            "restarts": restarts,
            "waiting": waiting[:10],
            "healthy": rolled_out and ready >= want and not waiting,
        }

    def _owned_replica_sets(self, name: str, namespace: str) -> tuple[int, list[tuple[int, dict[str, Any]]]]:
        """The deployment's current revision and its ReplicaSets by revision."""
        deployment = self._plain(self.apps.read_namespaced_deployment(name, namespace))
        current_rev = int((deployment["metadata"].get("annotations") or {}).get("deployment.kubernetes.io/revision", 0))
        uid = deployment["metadata"].get("uid")
        sets = self._plain(self.apps.list_namespaced_replica_set(namespace)).get("items", [])
        owned = []
        for rs in sets:
            owners = rs["metadata"].get("ownerReferences") or []
            if any(o.get("uid") == uid or (o.get("kind") == "Deployment" and o.get("name") == name) for o in owners):
                rev = int((rs["metadata"].get("annotations") or {}).get("deployment.kubernetes.io/revision", 0))
                owned.append((rev, rs))
        return current_rev, owned

    def revision_templates(self, kind: str, name: str, namespace: str) -> list[dict[str, Any]]:
        """Pod templates of the workload's recorded revisions (what ``rollout undo`` may return to)."""
        if kind != "deployments":
            return []
        _, owned = self._owned_replica_sets(name, namespace)
        return [json.loads(json.dumps(rs["spec"]["template"])) for _, rs in owned]

    def _undo_body(self, kind: str, name: str, namespace: str, a: dict[str, Any]) -> tuple[dict[str, Any], int]:
        if kind != "deployments":
            raise KubeCallError("rollout undo is supported for deployments only")
        current_rev, owned = self._owned_replica_sets(name, namespace)
        wanted = a.get("to_revision")
        candidates = [(r, rs) for r, rs in owned if (r == int(wanted) if wanted else r < current_rev)]
        if not candidates:
            raise KubeCallError(f"no previous revision of deployment/{name} to roll back to")
        rev, target = max(candidates, key=lambda pair: pair[0])
        template = json.loads(json.dumps(target["spec"]["template"]))
        template.get("metadata", {}).get("labels", {}).pop("pod-template-hash", None)
        # kubectl replaces the whole template; a JSON merge patch with the full template does that.
        return {"spec": {"template": template}}, rev

    def op_rollout_undo(self, a: dict[str, Any]) -> OpResult:
        kind, name = _split_target(a)
        namespace = str(a.get("namespace") or "default")
        body, rev = self._undo_body(kind, name, namespace, a)
        return self._change(kind, name, namespace, body, f"deployment.apps/{name} rolled back to revision {rev}")


#: The flags a translated change may carry: each is part of the structured call (or only names
#: the namespace). Any other flag of a change (``--dry-run``, a selector, ``--force``, ``-o``...)
#: would be dropped by the translation, so the structured call would do something other than the
#: command the policy judged; such a command has no structured equivalent.
_CHANGE_FLAGS: dict[str, frozenset[str]] = {
    "rollout restart": frozenset(),
    "rollout undo": frozenset({"--to-revision"}),
    "scale": frozenset({"--replicas"}),
    "delete": frozenset(),
    "patch": frozenset({"--patch", "-p", "--type"}),
}
_NAMESPACE_FLAGS = frozenset({"-n", "--namespace"})


def _exact_change(call: KubectlCall, args: list[str]) -> None:
    """Refuse a change the structured call would not make exactly as kubectl would."""
    allowed = _CHANGE_FLAGS.get(call.verb)
    if allowed is None:
        return
    extra = sorted((set(call.flags) - allowed - _NAMESPACE_FLAGS) | call.switches)
    if extra:
        raise ToolRefused(f"'kubectl {' '.join(args)}' has no exact structured equivalent ({', '.join(extra)})")
    # One object, as KIND/NAME or KIND NAME: a bare kind is a selection, more words more objects.
    pos = call.positionals
    one = (len(pos) == 1 and pos[0].partition("/")[2] != "") or (len(pos) == 2 and "/" not in pos[0])
    if not one:
        raise ToolRefused(f"'kubectl {' '.join(args)}' does not name exactly one object")


def _resources_patch(body: dict[str, Any]) -> dict[str, Any] | None:
    """The container of a patch that sets one container's resources and nothing else."""
    try:
        (container,) = body["spec"]["template"]["spec"]["containers"]
    except (KeyError, TypeError, ValueError):
        return None
    if not isinstance(container, dict) or set(container) != {"name", "resources"}:
        return None
    if not isinstance(container["name"], str) or not isinstance(container["resources"], dict):
        return None
    # The structured call sends exactly this body: anything else in the patch would be lost.
    if body != {"spec": {"template": {"spec": {"containers": [container]}}}}:
        return None
    return container


def kubectl_to_operation(args: list[str]) -> dict[str, Any]:
    """The structured call for a kubectl argv, for the verbs the tool supports.

    A change is translated only when the structured call does exactly what kubectl would (the
    same object, the same body, no dry run, selector or flag left behind); anything else is
    refused, so neither the policy's dry run nor a runtime without kubectl acts on a different
    change than the one judged.
    """
    call = parse_kubectl(args)
    _exact_change(call, args)
    ns = call.namespace or "default"
    pos = call.positionals
    everywhere = bool({"-A", "--all-namespaces"} & call.switches) or call.flags.get("--all-namespaces") == "true"
    base: dict[str, Any] = {"namespace": ns}
    if everywhere and call.verb in ("get", "events", "top"):
        base = {"all_namespaces": True}  # every namespace: kubectl ignores -n with -A too
    if call.verb in ("get", "describe"):
        if not pos:
            raise ToolRefused(f"kubectl {call.verb} needs a resource")
        kind, _, name = pos[0].partition("/")
        name = name or (pos[1] if len(pos) > 1 else "")
        if normalise_kind(kind) == "events" and call.verb == "get":
            return {**base, "operation": "events"}
        op = {**base, "operation": call.verb, "kind": kind}
        if name:
            op["name"] = name
        selector = call.flags.get("-l") or call.flags.get("--selector")
        if selector:
            op["label_selector"] = selector
        return op
    if call.verb == "events":
        return {**base, "operation": "events"}
    if call.verb == "logs":
        if not pos:
            raise ToolRefused("kubectl logs needs a pod")
        op = {**base, "operation": "logs", "name": pos[0]}
        if "-p" in call.switches or "--previous" in call.switches or call.flags.get("--previous") == "true":
            op["previous"] = True
        if call.flags.get("-c") or call.flags.get("--container"):
            op["container"] = call.flags.get("-c") or call.flags.get("--container")
        if call.flags.get("--tail"):
            op["tail"] = int(call.flags["--tail"])
        return op
    if call.verb == "top":
        return {**base, "operation": "top", "kind": pos[0] if pos else "pods"}
    if call.verb == "rollout status" and call.target:
        kind, _, name = call.target.partition("/")
        timeout = call.flags.get("--timeout", "30s").rstrip("s")
        return {**base, "operation": "rollout_status", "kind": kind, "name": name, "timeout_seconds": float(timeout)}
    if call.verb in ("rollout restart", "rollout undo"):
        if not call.target:
            raise ToolRefused(f"kubectl {call.verb} needs a resource")
        kind, _, name = call.target.partition("/")
        op = {**base, "operation": call.verb.replace(" ", "_"), "kind": kind, "name": name}
        if call.flags.get("--to-revision"):
            op["to_revision"] = int(call.flags["--to-revision"])
        return op
    if call.verb == "scale":
        kind, _, name = (call.target or "").partition("/")
        return {**base, "operation": "scale", "kind": kind, "name": name, "replicas": int(call.flags["--replicas"])}
    if call.verb == "delete" and pos and normalise_kind(pos[0].partition("/")[0]) == "pods":
        kind, _, name = (call.target or "").partition("/")
        return {**base, "operation": "delete_pod", "name": name}
    if call.verb == "patch" and call.target and call.flags.get("--type", "strategic") == "strategic":
        body = json.loads(call.flags.get("-p") or call.flags.get("--patch") or "{}")
        if not isinstance(body, dict):
            raise ToolRefused("a strategic merge patch is a JSON object")
        container = _resources_patch(body)
        if container is not None:
            kind, _, name = call.target.partition("/")
            return {
                **base,
                "operation": "patch_resources",
                "kind": kind,
                "name": name,
                "container": container["name"],
                "resources": container["resources"],
            }
    raise ToolRefused(f"'kubectl {' '.join(args)}' has no structured equivalent")
