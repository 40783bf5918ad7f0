"""``aofctl logs RUN --system``: the structured log lines of one run, as CloudWatch Logs
Insights shows them for a deployed run (``filter run_id = "RUN"``).

On the embedded default they are read from ``STATE_DIR/logs/system.jsonl``; ``-o json``
prints each line as it was written, the default a line a person reads. A deployed stage's
lines are in CloudWatch Logs: this command prints the Logs Insights query that finds them.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

from .. import settings
from ..observability import RUN_FIELDS, Redactor, system_log

#: Fields a readable line shows in its own columns, not again as ``key=value``.
_SHOWN = {"timestamp", "level", "message", "service", *RUN_FIELDS}


def insights_query(run_id: str) -> str:
    """The CloudWatch Logs Insights query for one run's lines (docs/operations.md)."""
    return f'fields @timestamp, level, node, attempt, message\n| filter run_id = "{run_id}"\n| sort @timestamp asc'


def run_lines(path: Path, run_id: str) -> Iterator[dict[str, Any]]:
    """The JSON lines of ``path`` that belong to ``run_id``; a torn or foreign line is skipped
    (the file is appended to while a run goes on)."""
    if not path.exists():
        return
    with path.open(encoding="utf-8") as lines:
        for text in lines:
            try:
                line = json.loads(text)
            except ValueError:
                continue
            if isinstance(line, dict) and line.get("run_id") == run_id:
                yield line


def readable(line: dict[str, Any]) -> str:
    node = str(line.get("node") or "-")
    attempt = line.get("attempt") or 0
    where = f"{node}#{attempt}" if attempt else node
    rest = " ".join(
        f"{key}={value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)}"
        for key, value in line.items()
        if key not in _SHOWN and value not in ("", None, [], {})
    )
    return f"{line.get('timestamp', '')}  {line.get('level', '')!s:<7} {where:<24} {line.get('message', '')}  {rest}".rstrip()


def show(run_id: str, state_dir: Path, output: str, out: TextIO | None = None) -> int:
    """Print ``run_id``'s lines (already resolved from a prefix or incident id by the caller)."""
    out = out or sys.stdout
    redactor = Redactor()  # the lines were masked when written; a secret set since is masked too
    if settings.is_deployed():
        out.write(
            f"Run {run_id} logs to CloudWatch Logs. In Logs Insights, over the stage's function log groups:\n\n"
            f"{insights_query(run_id)}\n"
        )
        return 0
    path = system_log(state_dir)
    found = 0
    for line in run_lines(path, run_id):
        found += 1
        clean = redactor.value(line)
        out.write((json.dumps(clean, ensure_ascii=False) if output == "json" else readable(clean)) + "\n")
    if not found:
        print(f"no structured log lines for run {run_id} in {path}", file=sys.stderr)
        return 1
    return 0
