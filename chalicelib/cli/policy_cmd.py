"""``aofctl policy check [--flow F] [--severity S] [--namespace N] [--kubeconfig K] [-o json] -- kubectl ...``

How the policy gate would judge one command, and why: allowed (a read or a write), held for the
approval of this exact plan, or refused. With a kubeconfig it asks the API server for the same
server-side dry run a run does and judges by effect; without one it judges conservatively: a
change whose effect it cannot see is destructive. SREs audit their policy with it.

Exit status: 0 allowed, 2 needs an approval, 3 refused, 1 a usage error.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import PolicyDenied, ToolRefused
from ..spec.diagnostics import suggest
from .project import load_checked

if TYPE_CHECKING:
    from ..policy.settings import SafetySettings

# Imported when the command runs, not when ``aofctl`` starts: the change protocol (17 ms), the
# shell tool (13 ms), the effect and the classifier (12 and 10 ms), the settings (1.5 ms).

EXIT_ALLOW, EXIT_ERROR, EXIT_APPROVE, EXIT_REFUSE = 0, 1, 2, 3


@dataclass
class Verdict:
    decision: str  # allow, approve, refuse
    kind: str  # read, write, destructive
    reason: str
    command: list[str] = field(default_factory=list)
    changes: list[dict[str, Any]] = field(default_factory=list)
    effects: list[dict[str, Any]] = field(default_factory=list)


def judge_command(argv: list[str], safety: Any, *, namespace: str, critical: bool, kubeconfig: str | None) -> Verdict:
    """The gate's judgment of ``argv`` (program first), without running it."""
    from ..agents.tools.shell import classify_argv
    from ..policy.change import KubeChanges
    from ..policy.classify import assess
    from ..policy.effect import refine

    if not argv or argv[0] != "kubectl":
        return Verdict("refuse", "destructive", "only kubectl commands are judged here", argv)
    try:
        action = classify_argv(argv, namespace)
        verdict = assess(action, safety)
    except ToolRefused as error:
        return Verdict("refuse", "destructive", error.message, argv)
    command = list(action.argv)
    changes = [asdict(c) for c in verdict.changes]
    if verdict.kind == "read":
        return Verdict("allow", "read", "reads change nothing", command)
    if verdict.forbidden:
        return Verdict("refuse", verdict.kind, f"{verdict.forbidden} (no approval can change this)", command, changes)
    effects: list[dict[str, Any]] = []
    if verdict.kind != "destructive":
        if kubeconfig:
            cluster = KubeChanges(kubeconfig)
            try:
                pre = cluster.preflight(action, verdict.changes)
            except PolicyDenied as error:
                return Verdict("refuse", verdict.kind, error.message, command, changes)
            finally:
                cluster.close()
            verdict, effects = refine(verdict, pre.observations, safety)
        else:
            return Verdict(
                "approve",
                "destructive",
                "without a kubeconfig the server-side dry run cannot show the change's effect, so it is judged "
                "destructive (give --kubeconfig to judge it as a run does)",
                command,
                changes,
            )
    if verdict.kind == "destructive":
        return Verdict(
            "approve", "destructive", f"needs the approval of this exact plan: {verdict.why}", command, changes, effects
        )
    if critical:
        return Verdict(
            "approve",
            "write",
            "the incident is critical: every change needs the approved plan",
            command,
            changes,
            effects,
        )
    return Verdict("allow", "write", "; ".join(e["why"] for e in effects) or "a write", command, changes, effects)


def _safety(flow_name: str | None, paths: list[str]) -> SafetySettings:
    from ..policy.settings import SafetySettings

    if not flow_name:
        return SafetySettings()
    resources = load_checked(paths)
    flow = resources.flows.get(flow_name)
    if flow is None:
        hint = suggest(flow_name, list(resources.flows))
        raise SystemExit(f"error: no flow {flow_name!r}" + (f" (did you mean {hint!r}?)" if hint else ""))
    return SafetySettings.from_dict(flow.spec.safety.model_dump(mode="json"))


def _check(args: argparse.Namespace) -> int:
    argv = list(args.kubectl)
    if argv and argv[0] == "--":
        argv = argv[1:]
    if len(argv) == 1 and " " in argv[0]:
        argv = shlex.split(argv[0])  # the command given as one quoted string
    if not argv:
        print("error: give the command after --, e.g. aofctl policy check -- kubectl get pods", file=sys.stderr)
        return EXIT_ERROR
    try:
        safety = _safety(args.flow, args.paths or ["agents", "flows"])
    except SystemExit as stop:
        print(stop.code, file=sys.stderr)
        return EXIT_ERROR
    kubeconfig = args.kubeconfig or (os.environ.get("KUBECONFIG") if args.use_env_kubeconfig else None)
    verdict = judge_command(
        argv,
        safety,
        namespace=args.namespace,
        critical=args.severity in ("critical", "p1"),
        kubeconfig=kubeconfig,
    )
    if args.output == "json":
        print(json.dumps(asdict(verdict), indent=2))
    else:
        print(f"{verdict.decision.upper()} ({verdict.kind}): {verdict.reason}")
        if verdict.command:
            print(f"  runs as: {shlex.join(verdict.command)}")
        for change in verdict.changes:
            where = change["namespace"] or "cluster-wide"
            detail = f" {change['detail']}" if change["detail"] else ""
            print(f"  change: {change['verb']} {change['kind']}/{change['name'] or '*'} in {where}{detail}")
        for effect in verdict.effects:
            print(f"  effect: {effect['kind']}: {effect['why']}")
    return {"allow": EXIT_ALLOW, "approve": EXIT_APPROVE}.get(verdict.decision, EXIT_REFUSE)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    policy = subparsers.add_parser("policy", help="audit the safety policy")
    sub = policy.add_subparsers(dest="policy_command", metavar="SUBCOMMAND")
    check = sub.add_parser(
        "check",
        help="how the policy gate would judge one command, and why",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    check.add_argument("--flow", help="judge under this flow's safety settings (default: the product defaults)")
    check.add_argument(
        "-f", "--filename", dest="paths", action="append", help="where flows are (default: agents, flows)"
    )
    check.add_argument("--severity", default="high", help="the incident's severity; critical or p1 needs approvals")
    check.add_argument("--namespace", "-n", default="default", help="namespace when the command names none")
    check.add_argument("--kubeconfig", help="judge by effect: run the server-side dry run on this cluster")
    check.add_argument(
        "--use-env-kubeconfig", action="store_true", help="use $KUBECONFIG for the dry run (off by default)"
    )
    check.add_argument("-o", "--output", choices=["text", "json"], default="text")
    check.add_argument("kubectl", nargs=argparse.REMAINDER, help="-- kubectl VERB ...")
    check.set_defaults(handler=_check)

    def show_help(_args: argparse.Namespace) -> int:
        policy.print_help()
        return EXIT_ERROR

    policy.set_defaults(handler=show_help)
