"""How the offline model asks the cluster: the structured Kubernetes tool, or kubectl via Shell."""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass
from typing import Any

from chalicelib.agents.providers.builtin.transcript import Answer, Transcript


@dataclass
class Query:
    name: str
    arguments: dict[str, Any]


class KubeChannel:
    """Builds tool calls for one of the two ways to reach the cluster, and reads their answers."""

    def __init__(self, transcript: Transcript) -> None:
        tools = transcript.tool_names
        self.mode: str | None = None
        self.last_command = ""
        if "kubernetes" in tools:
            self.mode = "kubernetes"
        elif "shell" in tools and "kubectl" in tools["shell"].description:
            self.mode = "shell"

    @property
    def available(self) -> bool:
        return self.mode is not None

    def _call(self, argv: list[str], structured: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        self.last_command = shlex.join(argv)  # what a human would have typed, for reports
        if self.mode == "kubernetes":
            return "kubernetes", structured
        return "shell", {"command": shlex.join(argv)}

    def get(
        self,
        kind: str,
        namespace: str | None,
        name: str | None = None,
        selector: str | None = None,
        *,
        all_namespaces: bool = False,
    ) -> tuple[str, dict[str, Any]]:
        """``kubectl get``; ``all_namespaces`` lists every namespace (``-A``) and ignores ``namespace``."""
        argv = ["kubectl", "get", kind + (f"/{name}" if name else "")]
        structured: dict[str, Any] = {"operation": "get", "kind": kind}
        if all_namespaces:
            if name:
                raise ValueError("a resource cannot be retrieved by name across all namespaces")
            argv.append("-A")
            structured["all_namespaces"] = True
        else:
            argv += ["-n", namespace or "default"]
            structured["namespace"] = namespace or "default"
        if name:
            structured["name"] = name
        if selector:
            argv += ["-l", selector]
            structured["label_selector"] = selector
        return self._call([*argv, "-o", "json"], structured)

    def events(self, namespace: str) -> tuple[str, dict[str, Any]]:
        return self._call(
            ["kubectl", "get", "events", "-n", namespace, "-o", "json"], {"operation": "events", "namespace": namespace}
        )

    def logs(self, pod: str, namespace: str, previous: bool = False) -> tuple[str, dict[str, Any]]:
        argv = ["kubectl", "logs", pod, "-n", namespace, "--tail", "200"]
        structured: dict[str, Any] = {"operation": "logs", "name": pod, "namespace": namespace, "tail": 200}
        if previous:
            argv.append("--previous")
            structured["previous"] = True
        return self._call(argv, structured)

    def top(self, namespace: str) -> tuple[str, dict[str, Any]]:
        return self._call(
            ["kubectl", "top", "pods", "-n", namespace], {"operation": "top", "kind": "pods", "namespace": namespace}
        )

    def rollout_status(self, target: str, namespace: str, timeout: int = 60) -> tuple[str, dict[str, Any]]:
        kind, _, name = target.partition("/")
        return self._call(
            ["kubectl", "rollout", "status", target, "-n", namespace, f"--timeout={timeout}s"],
            {
                "operation": "rollout_status",
                "kind": kind,
                "name": name,
                "namespace": namespace,
                "timeout_seconds": timeout,
            },
        )

    def action(self, verb: str, target: str, namespace: str, extra: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        kind, _, name = target.partition("/")
        if verb == "rollout restart":
            return self._call(
                ["kubectl", "rollout", "restart", target, "-n", namespace],
                {"operation": "rollout_restart", "kind": kind, "name": name, "namespace": namespace},
            )
        if verb == "rollout undo":
            return self._call(
                ["kubectl", "rollout", "undo", target, "-n", namespace],
                {"operation": "rollout_undo", "kind": kind, "name": name, "namespace": namespace},
            )
        if verb == "scale":
            replicas = int(extra["replicas"])
            return self._call(
                ["kubectl", "scale", target, f"--replicas={replicas}", "-n", namespace],
                {"operation": "scale", "kind": kind, "name": name, "namespace": namespace, "replicas": replicas},
            )
        if verb == "delete pod":
            return self._call(
                ["kubectl", "delete", "pod", name, "-n", namespace],
                {"operation": "delete_pod", "name": name, "namespace": namespace},
            )
        if verb == "patch resources":
            resources = extra["resources"]
            container = extra.get("container")
            patch = {"spec": {"template": {"spec": {"containers": [{"name": container, "resources": resources}]}}}}
            return self._call(
                ["kubectl", "patch", target, "-n", namespace, "-p", json.dumps(patch, separators=(",", ":"))],
                {
                    "operation": "patch_resources",
                    "kind": kind,
                    "name": name,
                    "namespace": namespace,
                    "container": container,
                    "resources": resources,
                },
            )
        raise ValueError(f"unsupported action {verb}")


def as_json(answer: Answer) -> Any:
    """The JSON in a tool answer (kubectl may add a stderr section after it)."""
    if not answer.ok:
        return None
    text = answer.text.split("\n[stderr]\n", 1)[0]
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return None


def items(answer: Answer) -> list[dict[str, Any]]:
    data = as_json(answer)
    if isinstance(data, dict):
        if isinstance(data.get("items"), list):
            return [i for i in data["items"] if isinstance(i, dict)]
        if data.get("kind") not in (None, "List"):
            return [data]
    return []
