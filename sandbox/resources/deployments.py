"""Deployments: the rolling-update and recreate strategies over ReplicaSets, revisions and
rollbacks, and the Available/Progressing conditions (with the progress deadline)."""

from __future__ import annotations

import copy
from typing import Any

from sandbox.apimachinery.store import Object, ObjectStore
from sandbox.apimachinery.units import utc
from sandbox.resources.context import ClusterContext
from sandbox.resources.events import Events
from sandbox.resources.kubelet import pod_ready
from sandbox.resources.templates import (
    CHANGE_CAUSE,
    HASH_LABEL,
    REVISION,
    history_containers,
    int_or_percent,
    pod_hash,
    revision,
    selector_for,
    template_for,
)
from sandbox.scenarios import parse_duration


def new_rs_for(store: ObjectStore, dep: Object) -> dict[str, Any] | None:
    h = pod_hash(dep["spec"]["template"])
    for rs in store.owned("replicasets", dep):
        if pod_hash(rs["spec"]["template"]) == h:
            return rs
    return None


class Deployments:
    def __init__(self, ctx: ClusterContext, events: Events) -> None:
        self.ctx = ctx
        self.events = events
        self._progress: dict[str, float] = {}  # deployment uid -> last progress time
        self._marks: dict[str, Any] = {}  # deployment uid -> last progress marker

    def reconcile(self, bootstrap: bool) -> None:
        for dep in list(self.ctx.store.objects("deployments")):
            self.reconcile_one(dep, bootstrap)

    def update_statuses(self) -> None:
        for dep in list(self.ctx.store.objects("deployments")):
            self.update_status(dep)

    def mark_stuck_since(self, since: float) -> None:
        """Count every rollout as last progressing at ``since`` (a rollout stuck at scenario start is
        already past its progress deadline)."""
        for dep in self.ctx.store.objects("deployments"):
            uid = dep["metadata"]["uid"]
            self._marks[uid] = self._progress_marker(dep)
            self._progress[uid] = since

    def note_progress(self, dep: Object) -> None:
        """A write to the Deployment restarts its progress deadline."""
        self._progress[dep["metadata"]["uid"]] = self.ctx.now()

    def load(self, w: dict[str, Any], now: float) -> None:
        created = now - parse_duration(w.get("age"), 7 * 86400)
        template = template_for(w, w["containers"])
        history = w["history"]
        revision = len(history) + 1
        dep: dict[str, Any] = {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": self.ctx.meta(
                w["name"], w["namespace"], created=created, labels=w["labels"], annotations={REVISION: str(revision)}
            ),
            "spec": {
                "replicas": int(w["replicas"]),
                "selector": selector_for(w),
                "template": template,
                "strategy": copy.deepcopy(w.get("strategy"))
                or {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}},
                "revisionHistoryLimit": 10,
                "progressDeadlineSeconds": 600,
            },
            "status": {},
        }
        dep["metadata"]["generation"] = revision
        if w.get("change_cause"):
            dep["metadata"]["annotations"][CHANGE_CAUSE] = str(w["change_cause"])
        self.ctx.store.commit("deployments", dep, "ADDED")
        previous = int(w.get("previous_replicas", 0))
        current = int(w.get("current_replicas", w["replicas"]))
        for i, entry in enumerate(history):
            tpl = template_for(w, history_containers(w["containers"], entry))
            for key, value in (entry.get("pod_spec") or {}).items():
                # Pod-level fields of an older revision (imagePullSecrets, nodeSelector, tolerations...).
                if value is None:
                    tpl["spec"].pop(key, None)
                else:
                    tpl["spec"][key] = copy.deepcopy(value)
            keep = previous if i == len(history) - 1 else 0
            self.make_rs(
                dep,
                tpl,
                i + 1,
                keep,
                now - parse_duration(entry.get("age"), 86400 * (len(history) - i + 1)),
                change_cause=entry.get("change_cause"),
            )
        self.make_rs(
            dep,
            template,
            revision,
            current,
            now - parse_duration(w.get("rollout_age", w.get("pod_age")), 2 * 3600),
            change_cause=w.get("change_cause"),
        )
        self._progress[dep["metadata"]["uid"]] = now

    def make_rs(
        self,
        dep: dict[str, Any],
        template: dict[str, Any],
        revision: int,
        replicas: int,
        created: float,
        change_cause: str | None = None,
    ) -> dict[str, Any]:
        h = pod_hash(template)
        tpl = copy.deepcopy(template)
        tpl["metadata"].setdefault("labels", {})[HASH_LABEL] = h
        selector = copy.deepcopy(dep["spec"]["selector"])
        selector.setdefault("matchLabels", {})[HASH_LABEL] = h
        name = f"{dep['metadata']['name']}-{h}"
        rs: Object = {
            "apiVersion": "apps/v1",
            "kind": "ReplicaSet",
            "metadata": self.ctx.meta(
                name,
                dep["metadata"]["namespace"],
                created=created,
                labels=tpl["metadata"]["labels"],
                annotations={
                    REVISION: str(revision),
                    "deployment.kubernetes.io/desired-replicas": str(dep["spec"]["replicas"]),
                    "deployment.kubernetes.io/max-replicas": str(dep["spec"]["replicas"] + 1),
                },
                owner=dep,
            ),
            "spec": {"replicas": replicas, "selector": selector, "template": tpl},
            "status": {"replicas": 0, "observedGeneration": 1},
        }
        rs["metadata"]["generation"] = 1
        if change_cause is None and not self.ctx.bootstrapping:
            change_cause = (dep["metadata"].get("annotations") or {}).get(CHANGE_CAUSE)
        if change_cause:
            rs["metadata"]["annotations"][CHANGE_CAUSE] = change_cause
        return self.ctx.store.commit("replicasets", rs, "ADDED")

    def _set_rs_replicas(self, rs: dict[str, Any], replicas: int, dep: dict[str, Any]) -> None:
        old = int(rs["spec"].get("replicas", 0))
        if old == replicas:
            return
        rs = copy.deepcopy(rs)
        rs["spec"]["replicas"] = replicas
        rs["metadata"]["generation"] = int(rs["metadata"].get("generation", 1)) + 1
        ann = rs["metadata"].setdefault("annotations", {})
        ann["deployment.kubernetes.io/desired-replicas"] = str(dep["spec"]["replicas"])
        self.ctx.store.commit("replicasets", rs, "MODIFIED")
        if not self.ctx.bootstrapping:
            direction = "up" if replicas > old else "down"
            self.events.record(
                dep,
                "Normal",
                "ScalingReplicaSet",
                f"Scaled {direction} replica set {rs['metadata']['name']} from {old} to {replicas}",
            )

    def reconcile_one(self, dep: dict[str, Any], bootstrap: bool) -> None:
        now = self.ctx.now()
        uid = dep["metadata"]["uid"]
        replicas = int(dep["spec"].get("replicas", 1))
        owned = self.ctx.store.owned("replicasets", dep)
        new_rs = new_rs_for(self.ctx.store, dep)
        max_rev = max([revision(rs) for rs in owned] or [0])
        if new_rs is None:
            new_rs = self.make_rs(dep, dep["spec"]["template"], max_rev + 1, 0, now)
            self._progress[uid] = now
            owned = self.ctx.store.owned("replicasets", dep)
        elif revision(new_rs) < max_rev:
            # rollback to an older template: the old ReplicaSet becomes the newest revision
            new_rs = copy.deepcopy(new_rs)
            new_rs["metadata"]["annotations"][REVISION] = str(max_rev + 1)
            self.ctx.store.commit("replicasets", new_rs, "MODIFIED")
            self._progress[uid] = now
            owned = self.ctx.store.owned("replicasets", dep)
        rev = str(revision(new_rs))
        if (dep["metadata"].get("annotations") or {}).get(REVISION) != rev:
            dep = copy.deepcopy(dep)
            dep["metadata"].setdefault("annotations", {})[REVISION] = rev
            self.ctx.store.commit("deployments", dep, "MODIFIED")
        if dep["spec"].get("paused"):
            return
        old = [rs for rs in owned if rs["metadata"]["uid"] != new_rs["metadata"]["uid"]]
        old.sort(key=lambda r: revision(r))
        if bootstrap:
            return
        strategy = dep["spec"].get("strategy") or {}
        if strategy.get("type") == "Recreate":
            for rs in old:
                self._set_rs_replicas(rs, 0, dep)
            if not any(self.ctx.store.owned("pods", rs) for rs in old):
                self._set_rs_replicas(new_rs, replicas, dep)
            return
        ru = strategy.get("rollingUpdate") or {}
        max_surge = int_or_percent(ru.get("maxSurge"), replicas, True)
        max_unavail = int_or_percent(ru.get("maxUnavailable"), replicas, False)
        if max_surge == 0 and max_unavail == 0:
            max_unavail = 1

        def avail(rs: dict[str, Any]) -> int:
            return sum(1 for p in self.ctx.store.owned("pods", rs) if pod_ready(p))

        if not old:
            self._set_rs_replicas(new_rs, replicas, dep)
            return
        # scale up the new ReplicaSet within maxSurge
        all_spec = sum(int(rs["spec"].get("replicas", 0)) for rs in [new_rs, *old])
        new_spec = int(new_rs["spec"].get("replicas", 0))
        if new_spec > replicas:
            self._set_rs_replicas(new_rs, replicas, dep)
            new_spec = replicas
        else:
            up = min(replicas - new_spec, max(0, replicas + max_surge - all_spec))
            if up > 0:
                self._set_rs_replicas(new_rs, new_spec + up, dep)
                new_spec += up
        # scale down old ReplicaSets within maxUnavailable (unhealthy ones first)
        min_available = replicas - max_unavail
        new_unavailable = new_spec - avail(new_rs)
        all_spec = sum(self._stored_replicas(r) for r in [new_rs, *old])
        budget = all_spec - min_available - new_unavailable
        for rs in old:
            if budget <= 0:
                break
            cur = self.ctx.store.get("replicasets", rs["metadata"]["namespace"], rs["metadata"]["name"])
            if cur is None:
                continue
            spec = int(cur["spec"].get("replicas", 0))
            unhealthy = max(0, spec - avail(cur))
            cut = min(budget, unhealthy)
            if cut > 0:
                self._set_rs_replicas(cur, spec - cut, dep)
                budget -= cut
        total_avail = sum(avail(r) for r in [new_rs, *old])
        budget = total_avail - min_available
        for rs in old:
            if budget <= 0:
                break
            cur = self.ctx.store.get("replicasets", rs["metadata"]["namespace"], rs["metadata"]["name"])
            if cur is None:
                continue
            spec = int(cur["spec"].get("replicas", 0))
            cut = min(budget, spec)
            if cut > 0:
                self._set_rs_replicas(cur, spec - cut, dep)
                budget -= cut

    def _stored_replicas(self, rs: Object) -> int:
        """``spec.replicas`` of the stored ReplicaSet (``rs`` may be a copy from before this pass scaled it);
        0 if it is gone, which cannot happen within a pass: only the garbage collector deletes ReplicaSets."""
        cur = self.ctx.store.get("replicasets", rs["metadata"]["namespace"], rs["metadata"]["name"])
        return int(cur["spec"]["replicas"]) if cur is not None else 0

    def _progress_marker(self, dep: dict[str, Any]) -> tuple[int, int, str]:
        new_rs = new_rs_for(self.ctx.store, dep)
        new_pods = self.ctx.store.owned("pods", new_rs) if new_rs else []
        return (
            len(new_pods),
            sum(1 for p in new_pods if pod_ready(p)),
            new_rs["metadata"]["name"] if new_rs else "",
        )

    def update_status(self, dep: dict[str, Any]) -> None:
        now = self.ctx.now()
        uid = dep["metadata"]["uid"]
        replicas = int(dep["spec"].get("replicas", 1))
        owned = self.ctx.store.owned("replicasets", dep)
        new_rs = new_rs_for(self.ctx.store, dep)
        all_pods = [p for rs in owned for p in self.ctx.store.owned("pods", rs)]
        new_pods = self.ctx.store.owned("pods", new_rs) if new_rs else []
        ready = sum(1 for p in all_pods if pod_ready(p))
        updated = len(new_pods)
        new_ready = sum(1 for p in new_pods if pod_ready(p))
        complete = updated == replicas and len(all_pods) == replicas and new_ready == replicas
        old = dep.get("status") or {}
        prev_conds = {c["type"]: c for c in old.get("conditions") or []}
        # progress = any change in the new ReplicaSet's pod counts
        marker = self._progress_marker(dep)
        progressed = self._marks.get(uid) != marker
        if progressed:
            self._marks[uid] = marker
            self._progress[uid] = now
        max_unavail = int_or_percent(
            ((dep["spec"].get("strategy") or {}).get("rollingUpdate") or {}).get("maxUnavailable"), replicas, False
        )
        available_ok = ready >= replicas - max_unavail
        rs_name = new_rs["metadata"]["name"] if new_rs else ""

        def cond(ctype: str, status: str, reason: str, message: str) -> dict[str, Any]:
            prev = prev_conds.get(ctype)
            changed = not prev or prev.get("status") != status or prev.get("reason") != reason
            return {
                "type": ctype,
                "status": status,
                "lastUpdateTime": utc(now)
                if changed or (prev and prev.get("message") != message)
                else (prev or {}).get("lastUpdateTime"),
                "lastTransitionTime": utc(now)
                if not prev or prev.get("status") != status
                else prev.get("lastTransitionTime"),
                "reason": reason,
                "message": message,
            }

        conds = [
            cond(
                "Available",
                "True" if available_ok else "False",
                "MinimumReplicasAvailable" if available_ok else "MinimumReplicasUnavailable",
                "Deployment has minimum availability."
                if available_ok
                else "Deployment does not have minimum availability.",
            )
        ]
        if complete:
            conds.append(
                cond(
                    "Progressing",
                    "True",
                    "NewReplicaSetAvailable",
                    f'ReplicaSet "{rs_name}" has successfully progressed.',
                )
            )
        elif now - self._progress.get(uid, now) > self.ctx.t(self.ctx.timing.progress_deadline) or (
            prev_conds.get("Progressing", {}).get("reason") == "ProgressDeadlineExceeded" and not progressed
        ):
            conds.append(
                cond(
                    "Progressing",
                    "False",
                    "ProgressDeadlineExceeded",
                    f'ReplicaSet "{rs_name}" has timed out progressing.',
                )
            )
        else:
            conds.append(cond("Progressing", "True", "ReplicaSetUpdated", f'ReplicaSet "{rs_name}" is progressing.'))
        # keep the historic initial state for scenario failures: an initially stuck rollout is past its deadline
        st: dict[str, Any] = {
            "observedGeneration": dep["metadata"].get("generation", 1),
            "replicas": len(all_pods),
            "updatedReplicas": updated,
            "readyReplicas": ready,
            "availableReplicas": ready,
            "unavailableReplicas": max(0, replicas - ready) if max(0, replicas - ready) else None,
            "conditions": conds,
        }
        st = {k: v for k, v in st.items() if v not in (None, 0) or k in ("observedGeneration", "conditions")}
        if st != old:
            dep = copy.deepcopy(dep)
            dep["status"] = st
            self.ctx.store.commit("deployments", dep, "MODIFIED")
