"""The change protocol's cluster side: dry run and snapshot before, monitor and roll back after.

``KubeChanges`` talks to the cluster with the structured client (``k8s_ops.KubeOps``); kubectl
commands with no structured equivalent get their server-side dry run from kubectl itself.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from chalicelib.agents.types import Action
from chalicelib.errors import PolicyDenied, ToolRefused

MONITORED_KINDS = ("deployment", "statefulset")


@dataclass
class Preflight:
    snapshot: dict[str, Any] | None
    dry_run: str


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
            from chalicelib.agents.tools.k8s_ops import KubeOps

            self._ops = KubeOps(self.kubeconfig)
        return self._ops

    def close(self) -> None:
        if self._ops is not None:
            self._ops.close()

    # --- before ---------------------------------------------------------------------------

    def preflight(self, action: Action, kind: str | None, name: str | None, namespace: str | None) -> Preflight:
        """Server-side dry run plus snapshot; raises ``PolicyDenied`` when the server refuses."""
        from chalicelib.agents.tools.k8s_ops import KubeCallError, kubectl_to_operation

        operation: dict[str, Any] | None = None
        if action.tool == "kubernetes":
            operation = dict(action.params)
        elif action.argv and action.argv[0] == "kubectl":
            try:
                operation = kubectl_to_operation(list(action.argv[1:]))
            except (ToolRefused, KubeCallError, ValueError, KeyError):
                operation = None
        try:
            if operation is not None and operation.get("operation") not in (None, "get", "describe"):
                result = self.ops().preflight(operation)
                return Preflight(result.snapshot, "server dry run passed")
            snapshot = self.ops().snapshot(kind, name, namespace or "default") if kind and name else None
        except KubeCallError as exc:
            raise PolicyDenied(f"the server-side dry run refused the change: {exc} {exc.body[:300]}".strip()) from exc
        if action.argv and action.argv[0] == "kubectl":
            return Preflight(snapshot, self._kubectl_dry_run(action.argv))
        raise PolicyDenied(f"no server-side dry run is possible for {action.tool} '{action.verb}'; refused")

    def _kubectl_dry_run(self, argv: tuple[str, ...]) -> str:
        program = shutil.which("kubectl")
        if program is None:
            raise PolicyDenied("no server-side dry run is possible without kubectl; refused")
        env = {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/")}
        if self.kubeconfig:
            env["KUBECONFIG"] = self.kubeconfig
        done = subprocess.run(
            [program, *argv[1:], "--dry-run=server"], capture_output=True, text=True, timeout=30, env=env, check=False
        )
        if done.returncode != 0:
            raise PolicyDenied(f"the server-side dry run refused the change: {done.stderr.strip()[:400]}")
        return "server dry run passed"

    # --- after ----------------------------------------------------------------------------

    def monitor(self, kind: str, name: str, namespace: str, seconds: float, interval: float) -> MonitorReport:
        """Watch rollout, readiness and restarts for ``seconds``; healthy if it ends healthy and
        no container restarted once the rollout had finished."""
        from chalicelib.agents.tools.k8s_ops import KubeCallError

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
