"""``aofctl get runs [NAME] [--since 24h] [-o json|yaml]``: the recorded runs, secrets masked."""

from __future__ import annotations

import argparse
import sys
from io import StringIO

from .output import print_structured, print_table
from .run_ref import RunRefError, find_run
from .views_common import Printer, open_source, parse_since, run_duration


def get_runs(args: argparse.Namespace) -> int:
    """``aofctl get runs [--since 24h] [-o json|yaml]`` (called by ``get``)."""
    printer = Printer()
    try:
        since = parse_since(getattr(args, "since", None))
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    source = open_source(args)
    try:
        if getattr(args, "name", None):
            try:
                runs = [find_run(source.store, args.name)]
            except RunRefError as error:
                print(f"error: {error} (see aofctl get runs)", file=sys.stderr)
                return 1
        else:
            runs = source.runs(None, since, 1000)
    finally:
        source.close()
    if args.output in ("json", "yaml"):
        buffer = StringIO()
        documents = [r.to_dict() for r in runs]
        print_structured(documents[0] if getattr(args, "name", None) else documents, args.output, buffer)
        printer.line(buffer.getvalue().rstrip("\n"))
        return 0
    buffer = StringIO()
    rows = [[r.run_id, r.flow, r.incident_id, r.status, r.outcome, r.started_at, run_duration(r)] for r in runs]
    print_table(["RUN", "FLOW", "INCIDENT", "STATUS", "OUTCOME", "STARTED", "DURATION"], rows, buffer)
    printer.line(buffer.getvalue().rstrip("\n"))
    return 0
