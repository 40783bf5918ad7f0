"""``aofctl agent exec``: registered from the agent runtime's own CLI module."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    from chalicelib.agents import cli

    cli.add_parser(subparsers)
