"""After the agent acted: monitor every change it made, roll back from the snapshot when health
does not return, and say so in the node's output (``result: failed`` with the evidence)."""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from typing import Any

from chalicelib.agents.tools.shell import classify_argv
from chalicelib.agents.types import AgentResult, ToolCallRecord
from chalicelib.errors import ToolRefused
from chalicelib.policy.change import MONITORED_KINDS, KubeChanges
from chalicelib.policy.gate import AllowedChange
from chalicelib.policy.settings import SafetySettings


@dataclass
class ChangeOutcome:
    change: str
    monitored: bool
    healthy: bool
    evidence: str
    rolled_back: bool = False
    rollback: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "change": self.change,
            "monitored": self.monitored,
            "healthy": self.healthy,
            "evidence": self.evidence,
            "rolled_back": self.rolled_back,
            "rollback": self.rollback,
        }


@dataclass
class ProtocolReport:
    outcomes: list[ChangeOutcome] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return any(not o.healthy for o in self.outcomes)

    @property
    def rolled_back(self) -> bool:
        return any(o.rolled_back for o in self.outcomes)


def applied(allowed: AllowedChange, calls: list[ToolCallRecord]) -> bool:
    """Did the tool call the gate let through actually succeed?"""
    for call in calls:
        if call.refused or not call.ok or call.action_kind in (None, "read"):
            continue
        if call.name == "kubernetes" and dict(call.input) == dict(allowed.action.params):
            return True
        command = call.input.get("command")
        if isinstance(command, str) and allowed.action.argv:
            try:
                argv = shlex.split(command)
                # The gate judged (and the tool ran) the canonical form of the command.
                if argv and argv[0] == "kubectl":
                    argv = list(classify_argv(argv, allowed.action.namespace or "default").argv)
            except (ValueError, ToolRefused):
                continue
            if tuple(argv) == allowed.action.argv:
                return True
    return False


def monitor_and_rollback(
    allowed: list[AllowedChange], result: AgentResult, changes: KubeChanges, safety: SafetySettings
) -> ProtocolReport:
    report = ProtocolReport()
    seen: set[str] = set()
    for item in allowed:
        if not applied(item, result.tool_calls):
            continue
        change = item.change
        label = change.describe()
        if change.kind not in MONITORED_KINDS or not change.name or change.target in seen:
            report.outcomes.append(ChangeOutcome(label, False, True, "not a workload: nothing to monitor"))
            continue
        seen.add(change.target)
        watch = changes.monitor(
            change.kind,
            change.name,
            change.namespace or "default",
            safety.monitor_seconds,
            safety.monitor_interval_seconds,
        )
        outcome = ChangeOutcome(label, True, watch.healthy, watch.evidence())
        if not watch.healthy and item.snapshot is not None:
            try:
                outcome.rollback = changes.restore(item.snapshot)
                outcome.rolled_back = True
            except Exception as exc:  # the rollback failing is evidence for the human, not a crash
                outcome.rollback = f"rollback from the snapshot failed: {type(exc).__name__}: {exc}"
        report.outcomes.append(outcome)
    return report


def apply_to_output(output: dict[str, Any], report: ProtocolReport, monitor_seconds: float) -> dict[str, Any]:
    """The agent's answer, corrected by what the monitor saw (the model does not get the last word).

    On success too: the agent writes its verification while the rollout may still be moving
    ("waiting for deployment ... to finish"), so the record keeps the monitor's settled evidence
    and the agent's own words beside it."""
    if not report.failed:
        watched = [o for o in report.outcomes if o.monitored]
        if not watched:
            return output
        out = dict(output)
        if "verification" in output:
            out["agent_verification"] = output["verification"]
        out["verification"] = "; ".join(
            f"health held after `{o.change}` for {monitor_seconds:g}s: {o.evidence}" for o in watched
        )
        return out
    out = dict(output)
    bad = [o for o in report.outcomes if not o.healthy]
    evidence = "; ".join(f"{o.change}: {o.evidence}" for o in bad)
    rollback = "; ".join(o.rollback for o in bad if o.rollback)
    out["result"] = "failed"
    out["rollback_needed"] = not all(o.rolled_back for o in bad)
    out["verification"] = f"health did not return within {monitor_seconds:g}s: {evidence}" + (
        f"; {rollback}" if rollback else ""
    )
    if report.rolled_back:
        out["action_taken"] = f"{output.get('action_taken', '')} (rolled back automatically from the snapshot)".strip()
    return out
