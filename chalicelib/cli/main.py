"""``aofctl``: the kubectl-style command line of the product."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from . import resources_cmd

Registrar = Callable[[argparse._SubParsersAction], None]  # type: ignore[type-arg]


def _registrars() -> list[Registrar]:
    """Each command module registers its own sub-commands; heavy imports stay inside handlers."""
    found: list[Registrar] = [resources_cmd.add_parsers]
    for module_name in (
        "chalicelib.cli.compile_cmd",
        "chalicelib.cli.run_cmd",
        "chalicelib.cli.serve_cmd",
        "chalicelib.cli.views_cmd",
        "chalicelib.cli.apply_cmd",
        "chalicelib.cli.agent_cmd",
        "chalicelib.cli.sandbox_cmd",
        "chalicelib.cli.policy_cmd",
        "chalicelib.cli.states_cmd",
        "chalicelib.cli.doctor_cmd",
        "chalicelib.cli.console_cmd",
        "chalicelib.cli.eval_cmd",
    ):
        try:
            module = __import__(module_name, fromlist=["add_parsers"])
        except ModuleNotFoundError as error:
            if error.name != module_name:
                raise
            continue
        found.append(module.add_parsers)
    return found


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="aofctl", description="Incident auto-remediation flows: validate, compile, run and inspect."
    )
    parser.add_argument("--version", action="version", version=f"aofctl {_version()}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for register in _registrars():
        register(subparsers)
    return parser


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

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
