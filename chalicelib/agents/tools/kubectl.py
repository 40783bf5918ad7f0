"""Reading a kubectl (or helm) argv: its verb, target, namespace and how much it changes.

Classification fails closed: a verb we do not know is destructive, so the gate decides.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from chalicelib.agents.types import ActionKind
from chalicelib.errors import ToolRefused

READ_VERBS = frozenset(
    {
        "get",
        "describe",
        "logs",
        "top",
        "events",
        "explain",
        "api-resources",
        "api-versions",
        "version",
        "cluster-info",
        "auth",
        "diff",
    }
)
WRITE_VERBS = frozenset({"scale", "patch", "annotate", "label", "set", "autoscale", "apply", "create", "expose"})
DESTRUCTIVE_VERBS = frozenset(
    {
        "delete",
        "drain",
        "cordon",
        "uncordon",
        "taint",
        "replace",
        "edit",
        "exec",
        "cp",
        "run",
        "attach",
        "port-forward",
        "proxy",
        "debug",
    }
)
ROLLOUT_READ = frozenset({"status", "history"})
ROLLOUT_WRITE = frozenset({"restart", "undo", "pause", "resume"})

#: kubectl flags that take a value as the next argument (so the value is not read as a positional).
_VALUE_FLAGS = frozenset(
    {
        "-n",
        "--namespace",
        "-o",
        "--output",
        "-l",
        "--selector",
        "-c",
        "--container",
        "--tail",
        "--since",
        "--replicas",
        "--patch",
        "--type",
        "--field-selector",
        "--sort-by",
        "--to-revision",
        "-f",
        "--filename",
        "--for",
        "--timeout",
        "--grace-period",
        "--limits",
        "--requests",
        "--image",
    }
)

HELM_READ = frozenset({"list", "ls", "status", "get", "history", "show", "search", "template", "version", "env"})
HELM_DESTRUCTIVE = frozenset({"uninstall", "delete", "del", "un"})


@dataclass
class KubectlCall:
    verb: str  # "get", "rollout restart", ...
    kind: ActionKind
    positionals: list[str] = field(default_factory=list)
    namespace: str | None = None
    flags: dict[str, str] = field(default_factory=dict)
    switches: set[str] = field(default_factory=set)

    @property
    def target(self) -> str | None:
        args = self.positionals
        if not args:
            return None
        if "/" in args[0] or len(args) == 1:
            return args[0]
        return f"{args[0]}/{args[1]}"


def parse_kubectl(args: list[str]) -> KubectlCall:
    """Parse kubectl's arguments (without the program name)."""
    positionals: list[str] = []
    flags: dict[str, str] = {}
    switches: set[str] = set()
    # ``-p`` is --patch for ``kubectl patch`` and --previous for ``kubectl logs``.
    value_flags = _VALUE_FLAGS | {"-p"} if "patch" in args else _VALUE_FLAGS
    i = 0
    while i < len(args):
        arg = args[i]
        if arg.startswith("-") and arg != "-":
            if "=" in arg:
                name, _, value = arg.partition("=")
                flags[name] = value
            elif arg in value_flags and i + 1 < len(args):
                flags[arg] = args[i + 1]
                i += 1
            elif arg.startswith("-n") and len(arg) > 2 and not arg.startswith("--"):
                flags["-n"] = arg[2:]
            else:
                switches.add(arg)
        else:
            positionals.append(arg)
        i += 1
    namespace = flags.get("-n") or flags.get("--namespace")
    if not positionals:
        return KubectlCall("", "read", [], namespace, flags, switches)
    verb, rest = positionals[0], positionals[1:]
    kind: ActionKind
    if verb == "rollout":
        sub = rest[0] if rest else ""
        verb, rest = f"rollout {sub}".strip(), rest[1:]
        kind = "read" if sub in ROLLOUT_READ else "write" if sub in ROLLOUT_WRITE else "destructive"
    elif verb in READ_VERBS:
        kind = "read"
    elif verb in WRITE_VERBS:
        kind = "write"
        if verb == "scale" and flags.get("--replicas") == "0":
            kind = "destructive"
    else:
        kind = "destructive"
    if "--dry-run" in switches or any(k == "--dry-run" and v in ("server", "client") for k, v in flags.items()):
        kind = "read"  # a dry run changes nothing; it is how the agent is told to check first
    return KubectlCall(verb, kind, rest, namespace, flags, switches)


#: ``helm get`` sub-commands that print neither a release's manifests (its Secrets, data
#: included) nor its values (where charts take passwords from).
HELM_GET_SAFE = frozenset({"notes", "metadata"})


def _helm_output(args: list[str]) -> str:
    for i, arg in enumerate(args):
        if arg in ("-o", "--output") and i + 1 < len(args):
            return args[i + 1]
        for prefix in ("--output=", "-o=", "-o"):
            if arg.startswith(prefix) and arg != "-o":
                return arg[len(prefix) :]
    return ""


def classify_helm(args: list[str]) -> tuple[str, ActionKind]:
    """The verb and kind of a helm argv; ``ToolRefused`` for a command no policy can judge.

    A read must be one: a post-renderer is any program run on the rendered manifests, and
    ``helm get`` (bar notes and metadata) or a release printed as JSON or YAML shows the
    release's Secrets and values.
    """
    if any(a == "--post-renderer" or a.startswith(("--post-renderer=", "--post-renderer-args")) for a in args):
        raise ToolRefused("helm --post-renderer runs a program on the rendered manifests; refused")
    words = [a for a in args if not a.startswith("-")]
    verb = words[0] if words else ""
    if verb == "get" and (len(words) < 2 or words[1] not in HELM_GET_SAFE):
        raise ToolRefused(
            "helm get prints a release's manifests or values, which hold its Secrets; "
            "use 'helm get notes', 'helm get metadata', 'helm status' or 'helm history'"
        )
    if verb == "status" and _helm_output(args) not in ("", "table"):
        raise ToolRefused("helm status -o json/yaml prints the release with its values; use the table output")
    if verb in HELM_READ:
        return verb, "read"
    if verb in HELM_DESTRUCTIVE:
        return verb, "destructive"
    if verb in ("rollback", "upgrade", "install"):
        return verb, "write"
    return verb, "destructive"
