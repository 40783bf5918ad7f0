"""``aofctl agent exec``: registered from the agent runtime's own CLI module."""

from __future__ import annotations

import argparse

# The agent command line (44 ms: the loop, its tools and providers) is imported when it runs.


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from chalicelib.agents import cli

    cli.add_parser(subparsers)
