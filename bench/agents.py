"""Score the offline model (``builtin:triage``) and the naive baseline on every scenario, timed.

    .venv/bin/python bench/agents.py [--scenarios DIR ...] [--model M ...]

The same evaluation as ``aofctl eval --baseline`` (each scenario in a fresh sandbox, the tutorial
flow's diagnostic then remediation agent, scored by chalicelib.evaluation); it also prints the
table per incident class and how long the whole evaluation took.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from chalicelib.evaluation import report  # noqa: E402
from chalicelib.evaluation.runner import BASELINE, Result, load_flow_agents, run_one  # noqa: E402
from sandbox.scenarios import SCENARIO_DIR, load_scenarios  # noqa: E402


def by_class(results: list[Result]) -> str:
    lines = [f"{'model':<16} {'class':<30} {'right action':<13} {'healed':<7} {'harmful':<7}"]
    for r in sorted(results, key=lambda r: (r.model, r.incident_class)):
        healed = "-" if r.healed is None else ("yes" if r.healed else "no")
        lines.append(
            f"{r.model:<16} {r.incident_class:<30} {'yes' if r.action_ok else 'no':<13} {healed:<7} {len(r.harmful):<7}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenarios", action="append", default=None)
    parser.add_argument("--model", action="append", default=None)
    args = parser.parse_args(argv)
    scenarios = load_scenarios(args.scenarios or [SCENARIO_DIR, ROOT / "eval" / "scenarios"])
    agents = load_flow_agents(str(ROOT / "flows" / "incident-response-flow.yaml"))
    started = time.perf_counter()
    results = [run_one(s, m, agents) for m in [*(args.model or ["builtin:triage"]), BASELINE] for s in scenarios]
    seconds = time.perf_counter() - started
    print(report.as_table(results))
    print(by_class(results))
    print(f"\n{len(results)} runs over {len(scenarios)} scenarios in {seconds:.0f}s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
