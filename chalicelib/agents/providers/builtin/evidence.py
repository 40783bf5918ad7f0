"""What the offline model's analyzers report: one piece of evidence per thing seen, and the
situation they all read.

An analyzer looks at one family of signals (container states, events, probes, usage, scheduling,
rollout history, log lines, Service endpoints) and says which cause each thing it saw points at.
It never decides: :mod:`combine` weighs the evidence of all of them and picks a cause only when
the evidence points at one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from chalicelib.agents.providers.builtin.facts import Findings, PodFacts, event_lines


@dataclass(frozen=True)
class Evidence:
    """``signal`` (the analyzer's family) saw ``detail``, which points at ``cause``."""

    signal: str
    cause: str
    detail: str
    #: A short name for what was seen (a waiting reason, a probe kind, a symptom).
    label: str = ""
    pod: str = ""
    #: Values the diagnosis quotes (a limit before and after, a usage figure).
    values: tuple[str, ...] = ()


@dataclass
class Situation:
    """The findings, with what every analyzer needs computed once."""

    findings: Findings
    target: str
    warnings: list[dict[str, Any]]
    ready: list[PodFacts]
    unhealthy: list[PodFacts]
    affected: list[str]
    now: float
    evidence: list[Evidence] = field(default_factory=list)

    @property
    def pods(self) -> list[PodFacts]:
        return self.findings.pods

    @property
    def all_down(self) -> bool:
        return bool(self.pods) and not self.ready

    def of(self, cause: str) -> list[Evidence]:
        return [e for e in self.evidence if e.cause == cause]

    def has(self, cause: str) -> bool:
        return any(e.cause == cause for e in self.evidence)

    def first(self, cause: str) -> Evidence | None:
        return next((e for e in self.evidence if e.cause == cause), None)


def situation(f: Findings, now: float) -> Situation:
    target = f.target or "the workload"
    names = [p.name for p in f.pods]
    workload_name = target.split("/")[-1]
    return Situation(
        findings=f,
        target=target,
        warnings=event_lines(f.events, {*names, workload_name}),
        ready=[p for p in f.pods if p.ready],
        unhealthy=[p for p in f.pods if not p.healthy],
        affected=[*names, workload_name] if names else [workload_name],
        now=now,
    )
