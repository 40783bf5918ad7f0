"""``aofctl sandbox up|list``: the development cluster (not part of the Lambda package)."""

from __future__ import annotations

import argparse
import importlib


def add_parsers(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    try:
        cli = importlib.import_module("sandbox.cli")
    except ModuleNotFoundError:  # installed without the development tools
        return
    cli.add_parser(subparsers)
