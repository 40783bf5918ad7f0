"""The run console as ``aofctl serve`` and ``aofctl console`` mount it: its option, building it
on the serving LocalApp, and the start banner (each person's sign-in URL, which carries their
token). With no display, the URL is only printed. The console itself lives in
:mod:`chalicelib.console`.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Callable
from typing import Any

# Imported when the console starts, not when ``aofctl`` does: the console (39 ms), webbrowser (1 ms).


def add_console_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--console-user",
        dest="console_users",
        action="append",
        metavar="NAME",
        help="who may sign in to the console, by the name approver lists hold (repeat for several; "
        "each gets a token; default: your login name)",
    )


def build_console(args: argparse.Namespace, app: Any) -> Any:
    from ..console import console_for

    people = list(dict.fromkeys(getattr(args, "console_users", None) or [getpass.getuser()]))
    return console_for(app, people)


def announce(console: Any, base_url: str, line: Callable[[str], None], open_browser: bool) -> None:
    """Print where to sign in; ``aofctl console`` also opens the first person's URL."""
    urls = console.urls(base_url)
    for name, url in urls:
        line(f"  console:   {url} (signs in as {name}; the token changes at each start)")
    if open_browser and urls:
        if _has_display():
            import webbrowser

            webbrowser.open(urls[0][1])
        else:
            line("  console:   no display here: open the URL above in a browser")


def _has_display() -> bool:
    return sys.platform in ("darwin", "win32") or bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
