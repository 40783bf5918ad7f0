"""The changes (restart, undo, scale, resources, delete pod), their dry run, snapshot, health and restore."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from .kinds import KubeCallError, OpResult, normalise_kind, split_target
from .reads import ReadOps

# The kubernetes SDK's errors (about 195 ms) are imported when a write runs.


class WriteOps(ReadOps):
    """Every change is sent as a server-side dry run first; the object is snapshotted before it."""

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
        kind, name = split_target(a)
        namespace = str(a.get("namespace") or "default")
        now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        # What kubectl does: a new template annotation makes the controller roll every pod.
        body = {"spec": {"template": {"metadata": {"annotations": {"kubectl.kubernetes.io/restartedAt": now}}}}}
        return self._change(kind, name, namespace, body, f"{kind[:-1]}.apps/{name} restarted")

    def op_scale(self, a: dict[str, Any]) -> OpResult:
        kind, name = split_target(a)
        if "replicas" not in a:
            raise KubeCallError("scale needs replicas")
        body = {"spec": {"replicas": int(a["replicas"])}}
        return self._change(kind, name, str(a.get("namespace") or "default"), body, f"{kind[:-1]}.apps/{name} scaled")

    def op_patch_resources(self, a: dict[str, Any]) -> OpResult:
        kind, name = split_target(a)
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
            kind, name = split_target(arguments)
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
        kind, name = split_target(a)
        namespace = str(a.get("namespace") or "default")
        body, rev = self._undo_body(kind, name, namespace, a)
        return self._change(kind, name, namespace, body, f"deployment.apps/{name} rolled back to revision {rev}")


#: The flags a translated change may carry: each is part of the structured call (or only names
