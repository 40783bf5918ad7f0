"""The Kubernetes tool: structured reads and a small set of mutations via the ``kubernetes`` client.

For runtimes without a kubectl binary (Lambda). Each mutation is first sent as a server-side dry
run (``dry_run="All"``): the API server's admission and validation refuse a bad change before it
happens. The object is snapshotted before the change and the snapshot is returned in the result
so the caller can store it and roll back from it. The Shell tool translates kubectl argv into
these calls when kubectl is missing.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from chalicelib.agents.tools.base import ToolOutcome, cap_output
from chalicelib.agents.types import Action, ActionKind, ToolDefinition
from chalicelib.errors import ToolRefused
from chalicelib.integrations.kubernetes import READ_OPERATIONS, WRITE_OPERATIONS, KubeCallError, KubeOps
from chalicelib.integrations.kubernetes.kubectl_run import run_kubectl
from chalicelib.policy.kinds import canonical_kind

TOOL_NAME = "kubernetes"
OPERATIONS = sorted(READ_OPERATIONS | WRITE_OPERATIONS)


@dataclass
class KubernetesConfig:
    namespaces: list[str] | None = None
    kubeconfig: str | None = None
    max_output_bytes: int = 65536


def kubernetes_config_from(raw: Mapping[str, Any] | None, kubeconfig: str | None) -> KubernetesConfig:
    raw = dict(raw or {})
    namespaces = raw.get("namespaces")
    return KubernetesConfig(namespaces=[str(n) for n in namespaces] if namespaces else None, kubeconfig=kubeconfig)


def operation_kind(operation: str, arguments: Mapping[str, Any]) -> ActionKind:
    if operation in READ_OPERATIONS:
        return "read"
    if operation == "delete_pod":
        return "destructive"
    if operation == "scale" and int(arguments.get("replicas", 1)) == 0:
        return "destructive"
    return "write"


class KubernetesTool:
    def __init__(self, config: KubernetesConfig) -> None:
        self.config = config
        self._ops: KubeOps | None = None

    def _get_ops(self) -> KubeOps:
        if self._ops is None:
            self._ops = KubeOps(self.config.kubeconfig)
        return self._ops

    def definitions(self) -> list[ToolDefinition]:
        return [
            ToolDefinition(
                name=TOOL_NAME,
                description=(
                    "Query and change Kubernetes without kubectl. Reads: get, describe, logs, events, top, "
                    "rollout_status (get, events and top take all_namespaces, like kubectl -A). "
                    "Changes (each dry-run first, object snapshotted): rollout_restart, rollout_undo, scale, "
                    "patch_resources, delete_pod. Output is JSON like `kubectl -o json`."
                ),
                input_schema={
                    "type": "object",
                    "properties": {
                        "operation": {"type": "string", "enum": OPERATIONS},
                        "kind": {"type": "string", "description": "pods, deployments, statefulsets, events, nodes..."},
                        "name": {"type": "string"},
                        "namespace": {"type": "string"},
                        "all_namespaces": {
                            "type": "boolean",
                            "description": "get/events/top across every namespace (kubectl -A); no name",
                        },
                        "label_selector": {"type": "string"},
                        "container": {"type": "string"},
                        "previous": {"type": "boolean", "description": "logs of the previous container"},
                        "tail": {"type": "integer"},
                        "replicas": {"type": "integer"},
                        "resources": {"type": "object", "description": "{requests: {...}, limits: {...}}"},
                        "to_revision": {"type": "integer"},
                        "timeout_seconds": {"type": "number", "description": "rollout_status wait"},
                    },
                    "required": ["operation"],
                },
            )
        ]

    def classify(self, name: str, arguments: dict[str, Any]) -> Action:
        operation = str(arguments.get("operation") or "")
        if operation not in READ_OPERATIONS | WRITE_OPERATIONS:
            raise ToolRefused(f"unknown operation {operation!r}; one of {', '.join(OPERATIONS)}")
        namespace = arguments.get("namespace")
        allowed = self.config.namespaces
        if arguments.get("all_namespaces"):
            if operation not in ("get", "events", "top"):
                raise ToolRefused(f"all_namespaces is for get, events and top, not {operation}")
            if allowed is not None:
                raise ToolRefused(f"all_namespaces reads outside this tool's namespaces: {', '.join(allowed)}")
            namespace = None  # a read of every namespace names none
        if allowed is not None and namespace is not None and namespace not in allowed:
            raise ToolRefused(f"namespace {namespace!r} is outside this tool's namespaces: {', '.join(allowed)}")
        kind = str(arguments.get("kind") or "")
        if operation in ("get", "describe") and canonical_kind(kind) == "secret":
            raise ToolRefused(
                "refused: reading Secrets would put their values into the conversation and the audit trail"
            )
        target = f"{kind}/{arguments['name']}" if kind and arguments.get("name") else arguments.get("name")
        return Action(
            kind=operation_kind(operation, arguments),
            verb=operation.replace("_", " "),
            tool=TOOL_NAME,
            target=target,
            namespace=namespace,
            params=dict(arguments),
        )

    def invoke(self, name: str, arguments: dict[str, Any]) -> ToolOutcome:
        try:
            result = self._get_ops().run(dict(arguments))
        except KubeCallError as exc:
            return ToolOutcome(output=exc.body, ok=False, error=str(exc))
        text = result.text if result.text is not None else json.dumps(result.data, indent=1, default=str)
        return ToolOutcome(
            output=cap_output(text, self.config.max_output_bytes),
            snapshot=result.snapshot,
            metadata={"dry_run": result.dry_run} if result.dry_run else {},
        )

    def invoke_kubectl(self, args: list[str]) -> ToolOutcome:
        """Run a kubectl argv (without the program name) on the client, with kubectl-like output.

        Tables for ``get`` (printed by the API server, as for kubectl), describe-like text, logs
        as text; a change answers kubectl's one line and carries its snapshot for rollback.
        """
        try:
            done = run_kubectl(self._get_ops(), list(args))
        except ToolRefused as exc:
            return ToolOutcome(output="", ok=False, error=f"kubectl is not installed and {exc.message}")
        except KubeCallError as exc:
            return ToolOutcome(output=exc.body, ok=False, error=str(exc))
        return ToolOutcome(
            output=cap_output(done.text, self.config.max_output_bytes),
            snapshot=done.result.snapshot,
            metadata={"dry_run": done.result.dry_run} if done.result.dry_run else {},
        )

    def close(self) -> None:
        if self._ops is not None:
            self._ops.close()
