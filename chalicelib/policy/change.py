"""The change protocol's cluster side: dry run and snapshot before, monitor and roll back after.

``KubeChanges`` talks to the cluster with the structured client (``integrations.kubernetes.KubeOps``); kubectl
commands with no structured equivalent get their server-side dry run from kubectl itself.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from chalicelib.agents.types import Action
from chalicelib.errors import PolicyDenied, ToolRefused
from chalicelib.integrations.kubernetes import KubeCallError, KubeOps, kubectl_to_operation
from chalicelib.policy.classify import Change
from chalicelib.policy.effect import Observation

MONITORED_KINDS = ("deployment", "statefulset")


@dataclass
class Preflight:
    snapshot: dict[str, Any] | None
    dry_run: str
    #: What the dry run showed for each change, in the order of the changes.
    observations: list[Observation] = field(default_factory=list)


@dataclass
class MonitorReport:
    healthy: bool
    observations: list[dict[str, Any]] = field(default_factory=list)

    def evidence(self) -> str:
        if not self.observations:
            return "no observation"
        last = self.observations[-1]
        waiting = "; ".join(last.get("waiting") or []) or "none"
        restarts = [o.get("restarts", 0) for o in self.observations if o.get("rolled_out")]
        grew = f", restarts {restarts[0]} -> {restarts[-1]}" if restarts and restarts[-1] != restarts[0] else ""
        return (
            f"{last.get('ready', 0)}/{last.get('want', '?')} ready, rolled out: {last.get('rolled_out')}, "
            f"waiting: {waiting}{grew} ({len(self.observations)} checks)"
        )


class KubeChanges:
    """Dry run, snapshot, health and restore for one kubeconfig (the run's cluster)."""

    def __init__(
        self,
        kubeconfig: str | None,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.kubeconfig = kubeconfig
        self._ops: Any = None
        self.sleep = sleep
        self.clock = clock

    def ops(self) -> Any:
        if self._ops is None:
            self._ops = KubeOps(self.kubeconfig)
        return self._ops

    def close(self) -> None:
        if self._ops is not None:
            self._ops.close()

    # --- before ---------------------------------------------------------------------------

    def preflight(self, action: Action, changes: tuple[Change, ...]) -> Preflight:
        """Snapshot and server-side dry run of every change; change nothing.

        Raises ``PolicyDenied`` when the server refuses the change. The structured client does
        the verbs it knows (so its result and the live object are read the same way); kubectl
        itself dry-runs the rest, and the live objects are then read with kubectl too.
        """
        operation: dict[str, Any] | None = None
        if action.tool == "kubernetes":
            operation = dict(action.params)
        elif action.argv and action.argv[0] == "kubectl" and len(changes) == 1:
            try:
                operation = kubectl_to_operation(list(action.argv[1:]))
            except (ToolRefused, KubeCallError, ValueError, KeyError):
                operation = None
            if operation is not None and operation.get("operation") in (None, "get", "describe"):
                operation = None
        if operation is not None:
            try:
                result = self.ops().preflight(operation)
            except KubeCallError as exc:
                raise PolicyDenied(
                    f"the server-side dry run refused the change: {exc} {exc.body[:300]}".strip()
                ) from exc
            dry = result.dry_run or {}
            seen = Observation(result.snapshot, dry.get("object"), list(dry.get("revisions") or []))
            return Preflight(result.snapshot, "server dry run passed", [seen])
        if action.argv and action.argv[0] == "kubectl":
            return self._kubectl_preflight(action.argv, changes)
        raise PolicyDenied(f"no server-side dry run is possible for {action.tool} '{action.verb}'; refused")

    def _kubectl_preflight(self, argv: tuple[str, ...], changes: tuple[Change, ...]) -> Preflight:
        program = shutil.which("kubectl")
        if program is None:
            raise PolicyDenied("no server-side dry run is possible without kubectl; refused")
        env = {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/")}
        if self.kubeconfig:
            env["KUBECONFIG"] = self.kubeconfig
        lives = [self._kubectl_get(program, env, c) for c in changes]
        # The canonical argv with its own output and dry-run flags replaced by ours.
        base = [a for a in argv[1:] if not a.startswith(("--output=", "--dry-run="))]
        wants_object = changes and changes[0].verb != "delete"
        extra = ["--dry-run=server", "--output=json"] if wants_object else ["--dry-run=server"]
        done = subprocess.run(
            [program, *base, *extra], capture_output=True, text=True, timeout=30, env=env, check=False
        )
        if done.returncode != 0:
            raise PolicyDenied(f"the server-side dry run refused the change: {done.stderr.strip()[:400]}")
        results: dict[tuple[str, str], dict[str, Any]] = {}
        if wants_object:
            try:
                printed = json.loads(done.stdout)
            except ValueError:
                printed = {}
            items = printed.get("items") if printed.get("kind") == "List" else [printed]
            for item in items or []:
                meta = item.get("metadata") or {}
                results[(str(item.get("kind", "")).lower(), str(meta.get("name", "")))] = item
        observations = []
        for change, live in zip(changes, lives, strict=True):
            found = results.get((change.kind or "", change.name or ""))
            if found is None and len(changes) == 1 and len(results) == 1:
                found = next(iter(results.values()))
            observations.append(Observation(live, found))
        snapshot = lives[0] if len(changes) == 1 else None
        return Preflight(snapshot, "server dry run passed", observations)

    def _kubectl_get(self, program: str, env: dict[str, str], change: Change) -> dict[str, Any] | None:
        if not change.kind or not change.name:
            return None
        argv = [program, "get", f"{change.kind}/{change.name}", "--output=json"]
        if change.namespace:
            argv.append(f"--namespace={change.namespace}")
        done = subprocess.run(argv, capture_output=True, text=True, timeout=30, env=env, check=False)
        if done.returncode != 0:
            return None
        try:
            data: dict[str, Any] = json.loads(done.stdout)
        except ValueError:
            return None
        return data

    # --- after ----------------------------------------------------------------------------

    def monitor(self, kind: str, name: str, namespace: str, seconds: float, interval: float) -> MonitorReport:
        """Watch rollout, readiness and restarts for ``seconds``; healthy if it ends healthy and
        no container restarted once the rollout had finished."""
        deadline = self.clock() + seconds
        report = MonitorReport(healthy=False)
        while True:
            try:
                observation = self.ops().health(kind, name, namespace)
            except KubeCallError as exc:
                observation = {"healthy": False, "error": str(exc)}
            except Exception as exc:  # an API error must count as "not healthy", never crash the node
                observation = {"healthy": False, "error": f"{type(exc).__name__}: {exc}"}
            report.observations.append(observation)
            if self.clock() >= deadline:
                break
            self.sleep(max(0.05, min(interval, deadline - self.clock())))
        settled = [o for o in report.observations if o.get("rolled_out")]
        restarted = bool(settled) and settled[-1].get("restarts", 0) > settled[0].get("restarts", 0)
        report.healthy = bool(report.observations[-1].get("healthy")) and not restarted
        return report

    def restore(self, snapshot: dict[str, Any]) -> str:
        result = self.ops().restore(snapshot)
        return str((result.data or {}).get("result", "restored"))
