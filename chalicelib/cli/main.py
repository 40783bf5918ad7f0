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
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for register in _registrars():
        register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
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
