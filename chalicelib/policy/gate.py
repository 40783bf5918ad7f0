"""``PolicyGate``: the safety rules as code between the agent and the cluster.

For every acting tool call, in this order: the policy's own classification, off-limits objects,
a human having taken the incident over, the approval rule (destructive actions, and writes on
critical incidents, need the approved plan to name exactly this change), the server-side dry
run and snapshot, the blast-radius budgets, and one idempotency claim per action so a retried
step does not act twice. A refusal raises ``PolicyDenied``; the model gets it as an error and
cannot argue with it. Every decision goes to the run's audit trail.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from chalicelib.agents.types import Action
from chalicelib.errors import AlreadyExists, PolicyDenied
from chalicelib.policy.change import KubeChanges
from chalicelib.policy.classify import Assessment, Change, assess
from chalicelib.policy.plan import covered
from chalicelib.policy.settings import SafetySettings
from chalicelib.store import RunEvent, Store, plan_hash


@dataclass(frozen=True)
class RunContext:
    """What the gate knows about the run it guards (read from the execution state)."""

    run_id: str
    node_id: str
    incident_id: str
    service: str | None = None
    critical: bool = False
    #: ``(approval_id, plan_hash)`` of an approval the state says was granted.
    approval: tuple[str, str] | None = None

    @classmethod
    def from_state(cls, state: dict[str, Any], run_id: str, node_id: str) -> RunContext:
        incident = (state.get("event") or {}).get("incident") or {}
        nodes = state.get("nodes") or {}
        critical = str(incident.get("priority") or "").upper() == "P1"
        approval: tuple[str, str] | None = None
        for record in nodes.values():
            if not isinstance(record, dict):
                continue
            output = record.get("output")
            if not isinstance(output, dict):
                continue
            if str(output.get("severity") or "").lower() == "critical":
                critical = True
            if output.get("approved") is True and output.get("approval_id"):
                approval = (str(output["approval_id"]), str((record.get("meta") or {}).get("plan_hash") or ""))
        service = (incident.get("service") or {}).get("name") if isinstance(incident.get("service"), dict) else None
        return cls(
            run_id=run_id,
            node_id=node_id,
            incident_id=str(incident.get("id") or run_id),
            service=str(service) if service else None,
            critical=critical,
            approval=approval,
        )


@dataclass
class AllowedChange:
    """A mutation the gate let through, with what the change protocol needs afterwards."""

    action: Action
    change: Change
    snapshot: dict[str, Any] | None
    key: str


@dataclass
class PolicyGate:
    store: Store
    safety: SafetySettings
    context: RunContext
    changes: KubeChanges | None = None
    allowed: list[AllowedChange] = field(default_factory=list)
    denied: list[dict[str, Any]] = field(default_factory=list)

    def check(self, action: Action) -> None:
        verdict = assess(action, self.safety)
        if verdict.kind == "read":
            return
        try:
            allowed = self._judge(action, verdict)
        except PolicyDenied as exc:
            self.denied.append({"action": verdict.change.describe(), "kind": verdict.kind, "reason": exc.message})
            self._audit("PolicyDenied", verdict, {"reason": exc.message})
            raise
        self.allowed.append(allowed)
        self._audit("PolicyAllowed", verdict, {"idempotency_key": allowed.key})

    # --- the rules, in order ----------------------------------------------------------------

    def _judge(self, action: Action, verdict: Assessment) -> AllowedChange:
        change = verdict.change
        if verdict.forbidden:
            raise PolicyDenied(f"refused: {verdict.forbidden} (no approval can change this)", kind=verdict.kind)
        stopped = self._human_took_over()
        if stopped:
            raise PolicyDenied(f"refused: {stopped}; automation stopped for incident {self.context.incident_id}")
        needs_approval = verdict.kind == "destructive" or self.context.critical
        if needs_approval:
            self._check_approval(change, verdict)
        key = self._key(change)
        snapshot = self._preflight(action, change)
        self._spend_budget(change, key)
        self._claim(key, change)
        return AllowedChange(action, change, snapshot, key)

    def _human_took_over(self) -> str | None:
        run = self.store.runs.get_run(self.context.run_id)
        if run is not None and run.status == "cancelled":
            return "a human took the incident over"
        for event in self.store.runs.events(self.context.run_id) if run is not None else []:
            if event.type == "HumanTookOver":
                return f"a human took the incident over ({event.details.get('event_type', 'acknowledged')})"
        return None

    def _check_approval(self, change: Change, verdict: Assessment) -> None:
        reason = verdict.why or "the incident is critical"
        if self.context.approval is None:
            raise PolicyDenied(
                f"refused: {change.describe()} needs a human approval ({reason}) and none was given; "
                "escalate to the on-call engineer instead",
                kind=verdict.kind,
            )
        approval_id, granted_hash = self.context.approval
        record = self.store.approvals.get_approval(approval_id)
        if record is None or record.status != "approved":
            raise PolicyDenied(f"refused: approval {approval_id} is not an approved decision", kind=verdict.kind)
        if granted_hash != record.plan_hash or plan_hash(record.plan) != record.plan_hash:
            raise PolicyDenied("refused: the approved plan's hash does not match the stored plan", kind=verdict.kind)
        if not covered(change, record.plan):
            raise PolicyDenied(
                f"refused: {change.describe()} is not the approved plan "
                f"({'; '.join(str(v) for v in (record.plan.get('proposed_actions') or {}).values())[:300]}); "
                "a different action needs a new approval",
                kind=verdict.kind,
            )

    def _preflight(self, action: Action, change: Change) -> dict[str, Any] | None:
        if self.changes is None:
            raise PolicyDenied("refused: no cluster access for the server-side dry run")
        pre = self.changes.preflight(action, change.kind, change.name, change.namespace)
        if pre.snapshot is not None:
            ref = self.store.artifacts.put_artifact(
                self.context.run_id,
                f"{self.context.node_id}-snapshot-{change.kind}-{change.name}-{len(self.allowed) + 1}.json",
                json.dumps(pre.snapshot, default=str),
            )
            self._event("ChangeSnapshot", {"change": change.describe(), "ref": ref, "dry_run": pre.dry_run})
        return pre.snapshot

    def _spend_budget(self, change: Change, key: str) -> None:
        budgets = self.store.budgets
        window = self.safety.budget_window_seconds
        namespace = change.namespace or "default"
        # The workload changed is the service; a pod or other object counts against the incident's service.
        workload = change.target if change.kind in ("deployment", "statefulset") else None
        service = f"{namespace}/{workload or self.context.service or change.target}"
        scopes = [
            (f"changes:ns:{namespace}", self.safety.max_changes_per_namespace_per_hour, f"namespace {namespace}"),
            (f"changes:svc:{service}", self.safety.max_changes_per_service_per_hour, f"service {service}"),
        ]
        # Check both before spending either, so a refusal does not use up the other budget.
        for scope, limit, label in scopes:
            if budgets.usage(scope, window) >= limit:
                raise PolicyDenied(
                    f"refused: the blast-radius budget of {limit} changes per hour in {label} is spent; "
                    "escalating to a human instead of acting"
                )
        for scope, limit, label in scopes:
            if not budgets.consume(scope, key, limit, window):
                raise PolicyDenied(f"refused: the budget of {limit} changes per hour in {label} is spent")

    def _claim(self, key: str, change: Change) -> None:
        try:
            done = self.store.idempotency.begin(key, ttl_seconds=self.safety.budget_window_seconds)
        except AlreadyExists as exc:
            raise PolicyDenied(f"refused: {change.describe()} is being applied by another attempt") from exc
        if done is not None:
            raise PolicyDenied(
                f"refused: {change.describe()} was already applied by an earlier attempt of this step; not repeated"
            )
        self.store.idempotency.complete(key, {"change": change.describe(), "run_id": self.context.run_id})

    def _key(self, change: Change) -> str:
        digest = hashlib.sha256(change.describe().encode()).hexdigest()[:16]
        return f"{self.context.run_id}:{self.context.node_id}:{digest}"

    # --- audit ------------------------------------------------------------------------------

    def _audit(self, kind: str, verdict: Assessment, extra: dict[str, Any]) -> None:
        self._event(kind, {"action": verdict.change.describe(), "kind": verdict.kind, "why": verdict.why, **extra})

    def _event(self, kind: str, details: dict[str, Any]) -> None:
        if self.store.runs.get_run(self.context.run_id) is not None:
            self.store.runs.append_event(
                self.context.run_id, RunEvent(type=kind, node_id=self.context.node_id, details=details)
            )
