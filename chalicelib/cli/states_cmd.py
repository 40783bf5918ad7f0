"""``aofctl states run DEFINITION.json``: a raw ASL definition on the embedded engine.

Task results come from a mock file in AWS Step Functions Local's MockConfigFile format, so a
definition tried with the AWS tool runs here unchanged. Exit status: 0 when the execution
succeeded, 1 when it did not, 2 when the definition, input or mock file is refused.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from ..engine.errors import DefinitionError
from ..errors import SpecError

# Imported when the command runs, not when ``aofctl`` starts: the engine's runner (28 ms), its mocks (1 ms).

EXIT_SUCCEEDED, EXIT_NOT_SUCCEEDED, EXIT_REFUSED = 0, 1, 2


def _json_file(path: str, what: str) -> Any:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ValueError(f"{path}: cannot read the {what}: {exc.strerror}") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}:{exc.lineno}:{exc.colno}: the {what} is not JSON: {exc.msg}") from None


def _input(text: str | None) -> Any:
    if text is None:
        return {}
    if text.startswith("@"):
        return _json_file(text[1:], "input")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"--input is not JSON: {exc.msg} (column {exc.colno})") from None


def _run(args: argparse.Namespace) -> int:
    from chalicelib.engine import mocks as mocks_mod

    from ..engine.states_run import run_definition

    machine = args.name or Path(args.definition).stem
    try:
        definition = _json_file(args.definition, "definition")
        data = _input(args.input)
        if (args.mock_config is None) != (args.test_case is None):
            raise ValueError("--mock-config and --test-case go together")
        mocks = None
        if args.mock_config is not None:
            mocks = mocks_mod.load(args.mock_config, machine, args.test_case)
        result = run_definition(definition, data, machine=machine, mocks=mocks)
    except (ValueError, SpecError) as exc:
        # A refused definition names state and field; mock-file and input errors name their file.
        prefix = f"{args.definition}: " if isinstance(exc, DefinitionError) else ""
        for problem in getattr(exc, "problems", None) or [str(exc)]:
            print(f"error: {prefix}{problem}", file=sys.stderr)
        return EXIT_REFUSED
    summary = result.summary(with_history=args.history)
    if args.output == "json":
        print(json.dumps(summary, indent=2, ensure_ascii=False))
    else:
        print(result.status)
        if result.status == "SUCCEEDED":
            print(json.dumps(result.output, indent=2, ensure_ascii=False))
        else:
            print(f"error: {result.error or ''}\ncause: {result.cause or ''}")
        if args.history:
            print("states: " + " -> ".join(result.states))
    return EXIT_SUCCEEDED if result.status == "SUCCEEDED" else EXIT_NOT_SUCCEEDED


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    states = subparsers.add_parser("states", help="run raw Amazon States Language definitions")
    verbs = states.add_subparsers(dest="states_command", metavar="VERB", required=True)
    run = verbs.add_parser(
        "run",
        help="run a definition on the embedded engine, Task results from a Step Functions Local mock file",
    )
    run.add_argument("definition", help="the ASL definition (JSON file)")
    run.add_argument("--input", help="the execution input: JSON text, or @FILE")
    run.add_argument("--mock-config", help="a MockConfigFile (AWS Step Functions Local's format)")
    run.add_argument("--test-case", help="the test case of the mock file to use")
    run.add_argument("--name", help="the state machine's name in the mock file (default: the file's stem)")
    run.add_argument("-o", "--output", choices=["text", "json"], default="text")
    run.add_argument("--history", action="store_true", help="also print the states entered, in order")
    run.set_defaults(handler=_run)
