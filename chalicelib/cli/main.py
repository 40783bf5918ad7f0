"""``aofctl``: the kubectl-style command line of the product."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from importlib.metadata import PackageNotFoundError, version

from . import (
    agent_cmd,
    apply_cmd,
    approve_cmd,
    compile_cmd,
    console_cmd,
    describe_cmd,
    doctor_cmd,
    eval_cmd,
    logs_cmd,
    policy_cmd,
    report_cmd,
    resources_cmd,
    run_cmd,
    sandbox_cmd,
    serve_cmd,
    states_cmd,
)

Registrar = Callable[["argparse._SubParsersAction[argparse.ArgumentParser]"], None]

#: Every command, in the order ``aofctl --help`` lists them. Each module registers its own
#: sub-commands; a module that cannot be imported stops ``aofctl`` with its traceback rather
#: than leaving a command out.
REGISTRARS: tuple[Registrar, ...] = (
    resources_cmd.register,
    compile_cmd.register,
    run_cmd.register,
    serve_cmd.register,
    approve_cmd.register,
    describe_cmd.register,
    logs_cmd.register,
    report_cmd.register,
    apply_cmd.register,
    agent_cmd.register,
    sandbox_cmd.register,
    policy_cmd.register,
    states_cmd.register,
    doctor_cmd.register,
    console_cmd.register,
    eval_cmd.register,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="aofctl", description="Incident auto-remediation flows: validate, compile, run and inspect."
    )
    parser.add_argument("--version", action="version", version=f"aofctl {_version()}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for register in REGISTRARS:
        register(subparsers)
    return parser


def _version() -> str:
    try:
        return version("aof-incident-response")
    except PackageNotFoundError:
        return "unknown (not installed)"


def _subparser(parser: argparse.ArgumentParser, argv: Sequence[str]) -> argparse.ArgumentParser:
    """The deepest sub-command parser ``argv`` names (for its usage line on a bad flag)."""
    current = parser
    for word in argv:
        actions = [a for a in current._actions if isinstance(a, argparse._SubParsersAction)]
        if not actions or word not in actions[0].choices:
            if not word.startswith("-") and actions:
                break
            continue
        current = actions[0].choices[word]
    return current


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    words = list(sys.argv[1:] if argv is None else argv)
    args, unknown = parser.parse_known_args(words)
    if unknown and not getattr(args, "accepts_extra", False):
        # kubectl's habit: the sub-command's own usage, not the top-level one.
        _subparser(parser, words).error(f"unrecognized arguments: {' '.join(unknown)}")
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 1
    try:
        return int(handler(args))
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
