"""``aofctl eval``: score models (and a naive baseline) on incident scenarios, each in a fresh sandbox.

The sandbox is a development tool, not part of the Lambda package: it is imported when the
command runs, and the command says so when it is missing.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

from chalicelib.errors import ConfigurationError

# Imported when the command runs, not when ``aofctl`` starts: the evaluation (71 to 78 ms).

EVAL_SET = Path("eval/scenarios")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser(
        "eval",
        help="score models on incident scenarios (diagnosis, action, healed, harm)",
        description="Run the flow's diagnostic agent and then its remediation agent on every scenario, each "
        "in a fresh sandbox, and score the answers. Scenario format: docs/scenarios.md.",
    )
    p.add_argument(
        "--scenarios",
        action="append",
        metavar="DIR",
        help="directory (or file) of scenarios; repeatable (default: the scenarios shipped with the sandbox)",
    )
    p.add_argument(
        "--flow",
        default="flows/incident-response-flow.yaml",
        metavar="F",
        help="flow whose agents are evaluated (its agents are read from agents/ beside it)",
    )
    p.add_argument(
        "--model", action="append", metavar="M", help="provider:model to evaluate, repeatable (default: builtin:triage)"
    )
    p.add_argument("--baseline", action="store_true", help='add the naive "always restart what paged" policy')
    p.add_argument("-o", "--output", choices=("table", "json", "junit"), default="table")
    p.add_argument(
        "--min-score",
        type=_share,
        metavar="X",
        help="exit 1 when a model's score (right action, no harm) is below X (0..1)",
    )
    p.add_argument("--speed", type=float, default=4.0, help="sandbox speed-up (default 4)")
    p.set_defaults(handler=_run)


def _share(text: str) -> float:
    """A score is a share of scenarios: 0.8, not 80."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"{text} is not between 0 and 1 (a share of scenarios: 0.8 for 80%)")
    return value


def _run(args: argparse.Namespace) -> int:
    try:
        scenarios_mod = importlib.import_module("sandbox.scenarios")
    except ModuleNotFoundError:
        print("error: aofctl eval needs the sandbox (install the development tools)", file=sys.stderr)
        return 2
    from chalicelib.evaluation import report
    from chalicelib.evaluation.runner import BASELINE, Result, load_flow_agents, run_one

    paths = list(args.scenarios or [])
    if not paths:
        # The sandbox's own scenarios, and the project's evaluation set when run from its checkout.
        paths = [str(scenarios_mod.SCENARIO_DIR), *([str(EVAL_SET)] if EVAL_SET.is_dir() else [])]
    try:
        scenarios = scenarios_mod.load_scenarios(paths)
    except scenarios_mod.ScenarioError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if not scenarios:
        print("error: no scenarios found", file=sys.stderr)
        return 2
    models = list(args.model or ["builtin:triage"])
    agents = None
    if models:
        try:
            agents = load_flow_agents(str(Path(args.flow)))
        except ConfigurationError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
    runs = [*models, *([BASELINE] if args.baseline else [])]
    total = len(runs) * len(scenarios)
    results: list[Result] = []
    for model in runs:
        for scenario in scenarios:
            result = run_one(scenario, model, agents, speed=args.speed)
            results.append(result)
            print(report.progress_line(len(results), total, result), file=sys.stderr, flush=True)
    if args.output == "json":
        print(report.as_json(results))
    elif args.output == "junit":
        sys.stdout.write(report.as_junit(results))
    else:
        print(report.as_table(results))
    if args.min_score is not None:
        low = [m for m in models if report.summary([r for r in results if r.model == m])["score"] < args.min_score]
        if low:
            print(f"score below --min-score {args.min_score} for: {', '.join(low)}", file=sys.stderr)
            return 1
    return 0
