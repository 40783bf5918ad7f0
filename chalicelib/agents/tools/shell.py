"""The Shell tool: one program from an allow-list, argv split by ``shlex``, never a shell.

Everything is refused before a process starts: shell metacharacters (they would mean nothing
without a shell, so a model writing them misunderstands the tool), programs not listed, paths to
programs, and flags that change who kubectl/helm act as or which cluster they reach (the runtime
chooses the cluster, the model does not). When ``kubectl`` is not installed (Lambda) a kubectl
argv is translated into the structured Kubernetes tool.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from chalicelib.agents.tools.base import ToolOutcome, cap_output
from chalicelib.agents.tools.kubectl import classify_helm
from chalicelib.agents.types import Action, ToolDefinition
from chalicelib.errors import ToolRefused
from chalicelib.policy.classify import changes_of_command, parse_kubectl_action, static_kind
from chalicelib.policy.settings import SafetySettings

TOOL_NAME = "shell"
METACHARACTERS = ("|", ";", "&", ">", "<", "`", "$(", "${", "\n", "\r")
KUBECTL_FORBIDDEN = frozenset(
    {
        "--kubeconfig",
        "--context",
        "--cluster",
        "--user",
        "--token",
        "--as",
        "--as-group",
        "--as-uid",
        "--server",
        "-s",
        "--username",
        "--password",
        "--client-certificate",
        "--client-key",
        "--certificate-authority",
        "--insecure-skip-tls-verify",
        "--tls-server-name",
    }
)
HELM_FORBIDDEN = frozenset(
    {
        "--kubeconfig",
        "--kube-context",
        "--kube-token",
        "--kube-apiserver",
        "--kube-as-user",
        "--kube-as-group",
        "--kube-ca-file",
        "--kube-insecure-skip-tls-verify",
        "--kube-tls-server-name",
    }
)


@dataclass
class ShellConfig:
    allowed_commands: list[str]
    timeout_seconds: float = 60.0
    max_output_bytes: int = 65536
    kubeconfig: str | None = None
    search_path: str | None = None
    extra_env: dict[str, str] = field(default_factory=dict)


def split_command(command: str, allowed: list[str]) -> list[str]:
    """The argv for ``command``, or ``ToolRefused`` saying why it may not run."""
    for meta in METACHARACTERS:
        if meta in command:
            shown = meta.replace("\n", "\\n").replace("\r", "\\r")
            raise ToolRefused(f"shell metacharacter {shown!r} refused: commands run without a shell")
    try:
        argv = shlex.split(command)
    except ValueError as exc:
        raise ToolRefused(f"cannot split command: {exc}") from exc
    if not argv:
        raise ToolRefused("empty command")
    program = argv[0]
    if "/" in program or "\\" in program:
        raise ToolRefused(f"give the program by name, not by path: {program!r}")
    if program not in allowed:
        raise ToolRefused(f"program {program!r} is not allowed; allowed: {', '.join(allowed)}")
    forbidden = KUBECTL_FORBIDDEN if program == "kubectl" else HELM_FORBIDDEN if program == "helm" else frozenset()
    for arg in argv[1:]:
        name = arg.split("=", 1)[0]
        short_glued = program == "kubectl" and arg.startswith("-s") and not arg.startswith("--") and len(arg) > 2
        if name in forbidden or short_glued:
            raise ToolRefused(f"flag {name if not short_glued else '-s'!r} refused: the runtime chooses the cluster")
    return argv


def classify_argv(argv: list[str], default_namespace: str = "default") -> Action:
    """The action an argv takes. kubectl is read strictly (``ToolRefused`` when it cannot be),
    and the action carries the canonical argv: what the gate judges is exactly what runs."""
    program, args = argv[0], argv[1:]
    if program == "kubectl":
        command = parse_kubectl_action(argv, default_namespace)
        changes = changes_of_command(command)
        first = command.objects[0] if command.objects else None
        action = Action(
            kind="read",
            verb=command.verb,
            tool=TOOL_NAME,
            target=first.target if first and first.name else (first.kind if first else None),
            namespace=command.namespace,
            argv=command.argv,
        )
        if not changes:
            return action
        # The tool's own label, before the policy's dry run: destructive when the command alone
        # shows it (read-only and default gates rely on it), a write otherwise.
        kind, _ = static_kind(action, changes, SafetySettings())
        if command.verb == "delete":
            kind = "destructive"  # only the policy's dry run can show a controller replaces it
        return replace(action, kind=kind)
    if program == "helm":
        verb, kind = classify_helm(args)
        return Action(kind=kind, verb=verb, tool=TOOL_NAME, argv=tuple(argv))
    # cat/jq/grep and friends only read; the allow-list is the operator's statement of that.
    return Action(kind="read", verb=program, tool=TOOL_NAME, argv=tuple(argv))


class ShellTool:
    def __init__(self, config: ShellConfig, kubernetes_fallback: Any | None = None) -> None:
        self.config = config
        # A callable(argv) -> ToolOutcome used when kubectl is missing (see tools/kubernetes.py).
        self._kubernetes_fallback = kubernetes_fallback

    def definitions(self) -> list[ToolDefinition]:
        allowed = ", ".join(self.config.allowed_commands)
        return [
            ToolDefinition(
                name=TOOL_NAME,
                description=(
                    f"Run one command (allowed programs: {allowed}). The command is split like a shell "
                    "would split it but no shell runs it: pipes, redirection, ';', '&', '$(...)' and "
                    "backticks are refused, and so are --kubeconfig/--context/--server style flags. "
                    "Output is capped."
                ),
                input_schema={
                    "type": "object",
                    "properties": {"command": {"type": "string", "description": "e.g. kubectl get pods -n production"}},
                    "required": ["command"],
                },
            )
        ]

    def _argv(self, arguments: dict[str, Any]) -> list[str]:
        """The argv that runs: for kubectl, the canonical form the policy judged."""
        command = arguments.get("command")
        if not isinstance(command, str):
            raise ToolRefused("'command' must be a string")
        argv = split_command(command, self.config.allowed_commands)
        if argv[0] == "kubectl":
            return list(classify_argv(argv).argv)
        return argv

    def classify(self, name: str, arguments: dict[str, Any]) -> Action:
        return classify_argv(self._argv(arguments))

    def _env(self) -> dict[str, str]:
        # A fresh, small environment: the model's commands never see API keys or tokens.
        env = {"PATH": self._path(), "HOME": os.environ.get("HOME", "/"), "LANG": "C.UTF-8"}
        env.update(self.config.extra_env)
        if self.config.kubeconfig:
            env["KUBECONFIG"] = self.config.kubeconfig
        return env

    def _path(self) -> str:
        return self.config.search_path or os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin")

    def invoke(self, name: str, arguments: dict[str, Any]) -> ToolOutcome:
        argv = self._argv(arguments)
        executable = shutil.which(argv[0], path=self._path())
        if executable is None:
            if argv[0] == "kubectl" and self._kubernetes_fallback is not None:
                outcome: ToolOutcome = self._kubernetes_fallback(argv[1:])
                outcome.metadata["translated_from"] = "kubectl"
                return outcome
            return ToolOutcome(output="", ok=False, error=f"{argv[0]}: not installed on this runtime")
        try:
            proc = subprocess.run(  # no shell: argv goes straight to execve
                [executable, *argv[1:]],
                capture_output=True,
                stdin=subprocess.DEVNULL,
                timeout=self.config.timeout_seconds,
                env=self._env(),
                check=False,
            )
        except subprocess.TimeoutExpired:
            return ToolOutcome(output="", ok=False, error=f"timed out after {self.config.timeout_seconds:g}s")
        out = proc.stdout.decode("utf-8", errors="replace")
        err = proc.stderr.decode("utf-8", errors="replace")
        text = out if not err else f"{out}\n[stderr]\n{err}" if out else err
        text = cap_output(text, self.config.max_output_bytes)
        if proc.returncode != 0:
            return ToolOutcome(output=text, ok=False, error=f"exit status {proc.returncode}: {err.strip()[:500]}")
        return ToolOutcome(output=text)

    def close(self) -> None:
        return None


def shell_config_from(raw: Mapping[str, Any] | None, kubeconfig: str | None, search_path: str | None) -> ShellConfig:
    raw = dict(raw or {})
    return ShellConfig(
        allowed_commands=[str(c) for c in raw.get("allowed_commands") or []],
        timeout_seconds=float(raw.get("timeout_seconds") or 60),
        max_output_bytes=int(raw.get("max_output_bytes") or 65536),
        kubeconfig=kubeconfig,
        search_path=search_path,
    )
