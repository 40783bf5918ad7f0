"""What the view commands (``get runs``, ``describe``, ``logs``, ``report``) share: a printer
that masks secrets, ``--since`` and ``--state-dir``, and figures as text."""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from datetime import UTC, datetime, timedelta
from typing import Any, TextIO

from ..reports.redact import Redactor
from ..reports.source import ViewSource, open_views
from ..reports.summary import run_seconds
from ..store import RunRecord

FLOW_KINDS = ("agentflow", "agentflows", "flow", "flows")
AGENT_KINDS = ("agent", "agents")
_SINCE = re.compile(r"^(\d+)([smhd])$")


class Printer:
    """Writes lines to ``out`` with secrets masked."""

    def __init__(self, out: TextIO | None = None, env: dict[str, str] | None = None) -> None:
        self.out = out or sys.stdout
        self.redactor = Redactor(dict(os.environ) if env is None else env)

    def line(self, text: str = "") -> None:
        self.out.write(self.redactor.text(text) + "\n")
        self.out.flush()

    def json(self, value: Any) -> None:
        self.line(json.dumps(self.redactor.value(value), indent=2, default=str, ensure_ascii=False))


def parse_since(text: str | None, now: datetime | None = None) -> datetime | None:
    if not text:
        return None
    match = _SINCE.match(text.strip())
    if not match:
        raise ValueError(f"--since {text!r}: use e.g. 90s, 30m, 24h, 7d")
    unit = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}[match.group(2)]
    return (now or datetime.now(UTC)) - timedelta(**{unit: int(match.group(1))})


def open_source(args: argparse.Namespace) -> ViewSource:
    return open_views(getattr(args, "state_dir", None))


def run_duration(run: RunRecord) -> str:
    value = run_seconds(run)
    return f"{value:.1f}s" if value is not None else "-"


def percent(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 100:.1f}%"


def seconds(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f}s"


def add_state_dir(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--state-dir", help="the embedded default's state directory (default: AOF_STATE_DIR)")
