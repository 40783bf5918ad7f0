"""``aofctl console``: ``aofctl serve`` with the run console opened in a browser."""

from __future__ import annotations

import argparse

from .console_setup import add_console_arguments
from .serve_cmd import add_server_arguments, serve


def _console(args: argparse.Namespace) -> int:
    args.open_browser = True
    return serve(args)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    console = subparsers.add_parser("console", help="aofctl serve, with the run console opened in the browser")
    add_server_arguments(console)
    add_console_arguments(console)
    console.set_defaults(handler=_console)
