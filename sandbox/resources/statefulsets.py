"""StatefulSets: ordinal pods with stable names, one PersistentVolumeClaim per pod and claim
template, and rolling updates from the highest ordinal down."""

from __future__ import annotations

import copy
from typing import Any

from sandbox.apimachinery.store import Object
from sandbox.resources.context import ClusterContext
from sandbox.resources.events import Events
from sandbox.resources.kubelet import pod_ready
from sandbox.resources.pods import Pods
from sandbox.resources.storage import missing_class
from sandbox.resources.templates import STS_POD_NAME_LABEL, STS_REVISION_LABEL, pod_hash, selector_for, template_for
from sandbox.scenarios import parse_duration


def sts_revision(sts: dict[str, Any]) -> str:
    return f"{sts['metadata']['name']}-{pod_hash(sts['spec']['template'])}"


class StatefulSets:
    def __init__(self, ctx: ClusterContext, events: Events, pods: Pods) -> None:
        self.ctx = ctx
        self.events = events
        self.pods = pods

    def reconcile(self, bootstrap: bool) -> None:
        for sts in list(self.ctx.store.objects("statefulsets")):
            self.reconcile_one(sts, bootstrap)

    def update_statuses(self) -> None:
        for sts in list(self.ctx.store.objects("statefulsets")):
            self.update_status(sts)

    def load(self, w: dict[str, Any], now: float) -> None:
        created = now - parse_duration(w.get("age"), 30 * 86400)
        template = template_for(w, w["containers"])
        sts: dict[str, Any] = {
            "apiVersion": "apps/v1",
            "kind": "StatefulSet",
            "metadata": self.ctx.meta(w["name"], w["namespace"], created=created, labels=w["labels"]),
            "spec": {
                "replicas": int(w["replicas"]),
                "selector": selector_for(w),
                "serviceName": w.get("service_name", w["name"]),
                "template": template,
                "podManagementPolicy": w.get("pod_management_policy", "Parallel"),
                "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}},
                "revisionHistoryLimit": 10,
                "persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Retain", "whenScaled": "Retain"},
            },
            "status": {},
        }
        if w.get("volume_claim_templates"):
            sts["spec"]["volumeClaimTemplates"] = copy.deepcopy(w["volume_claim_templates"])
        sts["metadata"]["generation"] = 1
        for vct in w.get("volume_claim_templates") or []:
            for i in range(int(w["replicas"])):
                self._make_pvc(vct, w, i, created)
        rev = f"{w['name']}-{pod_hash(template)}"
        sts["status"] = {"currentRevision": rev, "updateRevision": rev, "observedGeneration": 1, "replicas": 0}
        self.ctx.store.commit("statefulsets", sts, "ADDED")

    def _claim_volumes(self, sts: dict[str, Any], tpl: dict[str, Any], ordinal: int) -> dict[str, Any]:
        claims = sts["spec"].get("volumeClaimTemplates") or []
        if not claims:
            return {}
        name = sts["metadata"]["name"]
        volumes = [
            v for v in tpl["spec"].get("volumes") or [] if v.get("name") not in {c["metadata"]["name"] for c in claims}
        ]
        for c in claims:
            claim = f"{c['metadata']['name']}-{name}-{ordinal}"
            volumes.append({"name": c["metadata"]["name"], "persistentVolumeClaim": {"claimName": claim}})
        return {"volumes": volumes}

    def _make_pvc(self, vct: dict[str, Any], w: dict[str, Any], ordinal: int, created: float) -> None:
        spec = copy.deepcopy(vct.get("spec") or {})
        size = ((spec.get("resources") or {}).get("requests") or {}).get("storage", "10Gi")
        name = f"{vct['metadata']['name']}-{w['name']}-{ordinal}"
        labels = dict(w["labels"])
        spec.setdefault("volumeMode", "Filesystem")
        missing = missing_class(self.ctx, spec)
        if missing is None:
            spec["volumeName"] = f"pvc-{self.ctx.new_uid()}"
        pvc: Object = {
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "metadata": self.ctx.meta(
                name,
                w["namespace"],
                created=created,
                labels=labels,
                annotations={
                    "pv.kubernetes.io/bind-completed": "yes",
                    "volume.kubernetes.io/storage-provisioner": "ebs.csi.aws.com",
                },
            ),
            "spec": spec,
            "status": {
                "phase": "Bound",
                "accessModes": spec.get("accessModes") or ["ReadWriteOnce"],
                "capacity": {"storage": size},
            },
        }
        pvc["metadata"]["finalizers"] = ["kubernetes.io/pvc-protection"]
        if missing is not None:
            # No class to provision from: the claim stays Pending and the controller says why.
            pvc["metadata"]["annotations"] = {}
            pvc["status"] = {"phase": "Pending"}
        self.ctx.store.commit("persistentvolumeclaims", pvc, "ADDED")
        if missing is not None:
            age = max(0.0, self.ctx.now() - created)
            why = (
                f'storageclass.storage.k8s.io "{missing}" not found'
                if missing
                else "no persistent volumes available for this claim and no storage class is set"
            )
            self.events.record(
                pvc,
                "Warning" if missing else "Normal",
                "ProvisioningFailed" if missing else "FailedBinding",
                why,
                count=max(1, min(int(age / 15), 500)),
                first_ago=age,
                source="persistentvolume-controller",
            )

    def reconcile_one(self, sts: dict[str, Any], bootstrap: bool) -> None:
        ns = sts["metadata"]["namespace"]
        name = sts["metadata"]["name"]
        replicas = int(sts["spec"].get("replicas", 1))
        update_rev = sts_revision(sts)
        pods = {p["metadata"]["name"]: p for p in self.ctx.store.owned("pods", sts)}
        for i in range(replicas):
            pname = f"{name}-{i}"
            if pname not in pods:
                tpl = sts["spec"]["template"]
                labels = dict(tpl["metadata"].get("labels") or {})
                labels[STS_REVISION_LABEL] = update_rev
                labels[STS_POD_NAME_LABEL] = pname
                labels["apps.kubernetes.io/pod-index"] = str(i)
                pods[pname] = self.pods.create_pod(
                    sts,
                    pname,
                    tpl,
                    labels,
                    bootstrap,
                    0,
                    i,
                    extra_spec={
                        "hostname": pname,
                        "subdomain": sts["spec"].get("serviceName", name),
                        # Each claim template becomes this ordinal's claim, as the controller mounts it.
                        **self._claim_volumes(sts, tpl, i),
                    },
                )
        for pname, pod in list(pods.items()):
            idx = int(pname.rsplit("-", 1)[1])
            if idx >= replicas:
                self.ctx.delete_now("pods", pod)
                self.events.record(
                    sts, "Normal", "SuccessfulDelete", f"delete Pod {pname} in StatefulSet {name} successful"
                )
                pods.pop(pname)
        if bootstrap or len(pods) < replicas:
            return
        # rolling update: highest ordinal first, one at a time, waiting for the updated ones to be ready
        ordered = sorted(pods.values(), key=lambda p: -int(p["metadata"]["name"].rsplit("-", 1)[1]))
        for pod in ordered:
            rev = (pod["metadata"].get("labels") or {}).get(STS_REVISION_LABEL)
            if rev == update_rev:
                if not pod_ready(pod):
                    return  # wait for this updated pod
                continue
            self.ctx.delete_now("pods", pod)
            self.events.record(
                sts,
                "Normal",
                "SuccessfulDelete",
                f"delete Pod {pod['metadata']['name']} in StatefulSet {name} successful",
            )
            return
        del ns

    def update_status(self, sts: dict[str, Any]) -> None:
        pods = self.ctx.store.owned("pods", sts)
        update_rev = sts_revision(sts)
        old = sts.get("status") or {}
        current_rev = old.get("currentRevision") or update_rev
        replicas = int(sts["spec"].get("replicas", 1))
        updated = sum(1 for p in pods if p["metadata"]["labels"].get(STS_REVISION_LABEL) == update_rev)
        ready = sum(1 for p in pods if pod_ready(p))
        if updated == len(pods) == replicas:
            current_rev = update_rev
        current = sum(1 for p in pods if p["metadata"]["labels"].get(STS_REVISION_LABEL) == current_rev)
        st = {
            "observedGeneration": sts["metadata"].get("generation", 1),
            "replicas": len(pods),
            "readyReplicas": ready,
            "currentReplicas": current,
            "updatedReplicas": updated,
            "currentRevision": current_rev,
            "updateRevision": update_rev,
            "collisionCount": 0,
            "availableReplicas": ready,
        }
        if not ready:
            st.pop("readyReplicas")
        if st != old:
            sts = copy.deepcopy(sts)
            sts["status"] = st
            self.ctx.store.commit("statefulsets", sts, "MODIFIED")
