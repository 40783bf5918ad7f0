"""``PolicyGate``: the safety rules as code between the agent and the cluster.

For every acting tool call, in this order: the policy's own classification, off-limits objects,
a human having taken the incident over, the approval rule (destructive actions, and writes on
critical incidents, need the approved plan to name exactly this change), the server-side dry
run and snapshot, the blast-radius budgets, and one idempotency claim per action so a retried
step does not act twice. A refusal raises ``PolicyDenied``; the model gets it as an error and
cannot argue with it. Every decision goes to the run's audit trail.

A step retried after its worker died (say, after ``kubectl rollout restart`` went through but
before the node finished) proposes the same change again. The claim shows an earlier attempt of
the step already made it, so the gate does not let the tool run again: ``check`` answers the call
itself with the recorded result, labelled as such, and the change still counts as made (with the
first attempt's snapshot, taken before the change) so it is monitored and rolled back like any
other. A change another attempt is still making, or one whose earlier try failed, stays refused.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from chalicelib.agents.tools.base import ToolOutcome
from chalicelib.agents.types import Action
from chalicelib.errors import AlreadyExists, NotFound, PolicyDenied, ToolRefused
from chalicelib.observability.policy import log_decision
from chalicelib.policy.change import KubeChanges, Preflight
from chalicelib.policy.classify import Assessment, Change, assess
from chalicelib.policy.effect import refine
from chalicelib.policy.plan import covered
from chalicelib.policy.settings import SafetySettings
from chalicelib.store import IdempotencyRecord, RunEvent, Store, plan_hash

#: How much of a tool's output the idempotency record keeps, to answer a retried attempt with.
RECORDED_OUTPUT_CHARS = 2000


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
    #: The artifact holding ``snapshot`` (the state before the change).
    snapshot_ref: str | None = None
    #: Set when an earlier attempt of the step already made this change: the answer the tool call
    #: gets instead of running again.
    replay: ToolOutcome | None = None


@dataclass
class PolicyGate:
    store: Store
    safety: SafetySettings
    context: RunContext
    changes: KubeChanges | None = None
    allowed: list[AllowedChange] = field(default_factory=list)
    denied: list[dict[str, Any]] = field(default_factory=list)
    #: The verdict after the dry run, while ``check`` is judging an action (by the action's id).
    _judged: dict[int, Assessment] = field(default_factory=dict)

    def check(self, action: Action) -> ToolOutcome | None:
        """Allow ``action`` (``None``), answer it without running it (an earlier attempt of this
        step already made the change: the recorded outcome), or raise ``PolicyDenied``."""
        try:
            verdict = assess(action, self.safety)
        except ToolRefused as exc:
            # The tool read it but the policy cannot: refused, never guessed at.
            reason = f"refused: {exc.message}"
            self.denied.append(
                {"action": " ".join(action.argv) or action.verb, "kind": "destructive", "reason": reason}
            )
            self._event("PolicyDenied", {"action": " ".join(action.argv) or action.verb, "reason": reason})
            log_decision("refused", action, None, reason)
            raise PolicyDenied(reason, kind="destructive") from exc
        if verdict.kind == "read":
            log_decision("allowed", action, verdict, "a read")
            return None
        try:
            allowed = self._judge(action, verdict)
        except PolicyDenied as exc:
            judged = self._judged.pop(id(action), verdict)
            self.denied.append({"action": judged.describe(), "kind": judged.kind, "reason": exc.message})
            self._audit("PolicyDenied", judged, {"reason": exc.message})
            # _check_approval is the one rule that says "needs a human approval": a plan a human
            # could approve, as against a refusal no approval changes.
            needs = "needs a human approval" in exc.message
            log_decision("needs_approval" if needs else "refused", action, judged, exc.message)
            raise
        verdict = self._judged.pop(id(action), verdict)
        if allowed.replay is None:
            self.allowed.append(allowed)
            self._audit("PolicyAllowed", verdict, {"idempotency_key": allowed.key})
            log_decision("allowed", action, verdict, verdict.why)
            return None
        if not any(a.key == allowed.key for a in self.allowed):
            # Made by an earlier attempt: it is this step's change all the same (monitor, rollback).
            self.allowed.append(allowed)
        self._audit(
            "ChangeAlreadyApplied",
            verdict,
            {
                "idempotency_key": allowed.key,
                "applied_at": allowed.replay.metadata.get("applied_at"),
                "outcome": allowed.replay.metadata.get("outcome"),
                "snapshot_ref": allowed.snapshot_ref,
                "result": allowed.replay.output[:RECORDED_OUTPUT_CHARS],
            },
        )
        log_decision("already_applied", action, verdict, verdict.why)
        return allowed.replay

    def record_outcome(self, action: Action, outcome: ToolOutcome) -> None:
        """Keep what the tool did with a change this gate let through, for a retried attempt."""
        for item in reversed(self.allowed):
            if item.action is action and item.replay is None:
                self.store.idempotency.complete(
                    item.key,
                    self._claim_result(
                        item.change,
                        item.snapshot_ref,
                        outcome="applied" if outcome.ok else "failed",
                        output=outcome.output[:RECORDED_OUTPUT_CHARS],
                        error=(outcome.error or "")[:RECORDED_OUTPUT_CHARS] or None,
                    ),
                )
                return

    # --- the rules, in order ----------------------------------------------------------------

    def _judge(self, action: Action, verdict: Assessment) -> AllowedChange:
        change = verdict.change
        if verdict.forbidden:
            raise PolicyDenied(f"refused: {verdict.forbidden} (no approval can change this)", kind=verdict.kind)
        stopped = self._human_took_over()
        if stopped:
            raise PolicyDenied(f"refused: {stopped}; automation stopped for incident {self.context.incident_id}")
        # What the command alone shows to need an approval is held before the cluster is asked
        # anything; the dry run below can only add to what needs one.
        approved = False
        if verdict.kind == "destructive" or self.context.critical:
            self._check_approval(verdict)
            approved = True
        key = self._key(verdict)
        earlier = self.store.idempotency.get(key)
        if earlier is not None:
            # Checked before the dry run and the budgets: the change is not made again, so it is
            # neither re-snapshotted (the cluster is already past it) nor charged again.
            return self._already_made(action, change, key, earlier)
        pre = self._dry_run(action, verdict)
        verdict = self._by_effect(verdict, pre)
        self._judged[id(action)] = verdict
        if verdict.kind == "destructive" and not approved:
            self._check_approval(verdict)
        snapshot, ref = self._keep_snapshot(pre, change, key)
        self._spend_budget(change, key)
        done = self._claim(key, change, ref)
        if done is not None:  # another attempt finished it between the look-up and the claim
            return self._already_made(action, change, key, done)
        return AllowedChange(action, change, snapshot, key, ref)

    def _dry_run(self, action: Action, verdict: Assessment) -> Preflight:
        if self.changes is None:
            raise PolicyDenied("refused: no cluster access for the server-side dry run")
        try:
            return self.changes.preflight(action, verdict.changes)
        except PolicyDenied:
            raise
        except Exception as exc:  # a dry run that fails in any way shows no effect: refused
            raise PolicyDenied(f"refused: the server-side dry run failed ({type(exc).__name__}: {exc})"[:500]) from exc

    def _by_effect(self, verdict: Assessment, pre: Preflight) -> Assessment:
        """The verdict corrected by what the dry run shows each change would do."""
        refined, effects = refine(verdict, pre.observations, self.safety)
        self._event(
            "PolicyEffect", {"action": refined.describe(), "kind": refined.kind, "why": refined.why, "effects": effects}
        )
        return refined

    def _human_took_over(self) -> str | None:
        run = self.store.runs.get_run(self.context.run_id)
        if run is not None and run.status == "cancelled":
            return "a human took the incident over"
        for event in self.store.runs.events(self.context.run_id) if run is not None else []:
            if event.type == "HumanTookOver":
                return f"a human took the incident over ({event.details.get('event_type', 'acknowledged')})"
        return None

    def _check_approval(self, verdict: Assessment) -> None:
        change = verdict.change
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
        missing = [c for c in verdict.changes if not covered(c, record.plan)]
        if missing:
            raise PolicyDenied(
                f"refused: {missing[0].describe()} is not the approved plan "
                f"({'; '.join(str(v) for v in (record.plan.get('proposed_actions') or {}).values())[:300]}); "
                "a different action needs a new approval",
                kind=verdict.kind,
            )

    def _keep_snapshot(self, pre: Preflight, change: Change, key: str) -> tuple[dict[str, Any] | None, str | None]:
        ref: str | None = None
        if pre.snapshot is not None:
            # Named after the change (its key), not its position in the attempt: a retried attempt
            # must not overwrite the snapshot an earlier attempt's claim points to.
            digest = key.rsplit(":", 1)[-1]
            ref = self.store.artifacts.put_artifact(
                self.context.run_id,
                f"{self.context.node_id}-snapshot-{change.kind}-{change.name}-{digest}.json",
                json.dumps(pre.snapshot, default=str),
            )
            self._event("ChangeSnapshot", {"change": change.describe(), "ref": ref, "dry_run": pre.dry_run})
        return pre.snapshot, ref

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
        # Check both before spending either, so a refusal does not use up the other budget. A
        # budget that is full may already count this very change (an attempt that died before its
        # claim): ``consume`` under the same key is idempotent, and spends nothing on a full budget.
        for scope, limit, label in scopes:
            if budgets.usage(scope, window) >= limit and not budgets.consume(scope, key, limit, window):
                raise PolicyDenied(
                    f"refused: the blast-radius budget of {limit} changes per hour in {label} is spent; "
                    "escalating to a human instead of acting"
                )
        for scope, limit, label in scopes:
            if not budgets.consume(scope, key, limit, window):
                raise PolicyDenied(f"refused: the budget of {limit} changes per hour in {label} is spent")

    def _claim(self, key: str, change: Change, snapshot_ref: str | None) -> IdempotencyRecord | None:
        """Hold ``key`` for this attempt; the completed record when an earlier attempt made the change."""
        try:
            done = self.store.idempotency.begin(key, ttl_seconds=self.safety.budget_window_seconds)
        except AlreadyExists as exc:
            raise PolicyDenied(f"refused: {change.describe()} is being applied by another attempt") from exc
        if done is not None:
            return done
        # Completed at once, before the tool runs: a worker dying between here and the tool's answer
        # leaves "pending", which a retry treats as made (never repeated, verified on the cluster).
        self.store.idempotency.complete(key, self._claim_result(change, snapshot_ref, outcome="pending"))
        return None

    def _claim_result(self, change: Change, snapshot_ref: str | None, **outcome: Any) -> dict[str, Any]:
        return {
            "change": change.describe(),
            "run_id": self.context.run_id,
            "node_id": self.context.node_id,
            "snapshot_ref": snapshot_ref,
            **outcome,
        }

    def _already_made(self, action: Action, change: Change, key: str, record: IdempotencyRecord) -> AllowedChange:
        """The claim shows this step has had this change before: answer from the record, or refuse."""
        label = change.describe()
        if record.status != "completed":
            raise PolicyDenied(f"refused: {label} is being applied by another attempt")
        result = record.result or {}
        outcome = str(result.get("outcome") or "pending")
        at = record.completed_at or record.started_at
        here = any(a.key == key and a.replay is None for a in self.allowed)
        who = "earlier in this step" if here else "by an earlier attempt of this step"
        if outcome == "failed":
            error = str(result.get("error") or result.get("output") or "no detail")[:300]
            raise PolicyDenied(
                f"refused: {label} was tried {who} at {at} and failed ({error}); "
                "not repeated automatically: it may have partly gone through"
            )
        if outcome == "applied":
            text = f"{label} was already applied {who} at {at}; not repeated."
            recorded = str(result.get("output") or "").strip()
            if recorded:
                text += f"\nRecorded result of that call:\n{recorded}"
        else:
            text = (
                f"{label} was already started {who} at {at}, which stopped before recording the "
                "tool's answer; not repeated. Check the current state to confirm it took effect."
            )
        snapshot, ref = self._recorded_snapshot(change, result)
        replay = ToolOutcome(
            output=text,
            metadata={"already_applied": True, "applied_at": at, "outcome": outcome, "idempotency_key": key},
        )
        return AllowedChange(action, change, snapshot, key, ref, replay=replay)

    def _recorded_snapshot(self, change: Change, result: dict[str, Any]) -> tuple[dict[str, Any] | None, str | None]:
        """The snapshot taken before the change by the attempt that made it (the cluster is past it now)."""
        ref = result.get("snapshot_ref")
        if "snapshot_ref" not in result:
            # Claimed before claims kept their snapshot: the step's first snapshot of this change.
            ref = self._first_snapshot_ref(change)
        if not ref:
            return None, None
        try:
            snapshot = json.loads(self.store.artifacts.get_artifact(str(ref)))
        except (NotFound, ValueError):
            return None, str(ref)
        return (snapshot if isinstance(snapshot, dict) else None), str(ref)

    def _first_snapshot_ref(self, change: Change) -> str | None:
        if self.store.runs.get_run(self.context.run_id) is None:
            return None
        for event in self.store.runs.events(self.context.run_id):
            if (
                event.type == "ChangeSnapshot"
                and event.node_id == self.context.node_id
                and event.details.get("change") == change.describe()
                and event.details.get("ref")
            ):
                return str(event.details["ref"])
        return None

    def _key(self, verdict: Assessment) -> str:
        digest = hashlib.sha256(verdict.describe().encode()).hexdigest()[:16]
        return f"{self.context.run_id}:{self.context.node_id}:{digest}"

    # --- audit ------------------------------------------------------------------------------

    def _audit(self, kind: str, verdict: Assessment, extra: dict[str, Any]) -> None:
        self._event(kind, {"action": verdict.describe(), "kind": verdict.kind, "why": verdict.why, **extra})

    def _event(self, kind: str, details: dict[str, Any]) -> None:
        if self.store.runs.get_run(self.context.run_id) is not None:
            self.store.runs.append_event(
                self.context.run_id, RunEvent(type=kind, node_id=self.context.node_id, details=details)
            )
