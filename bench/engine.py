"""Embedded engine throughput vs moto's Step Functions interpreter on the tutorial flow.

    .venv/bin/python bench/engine.py [--runs 1000] [--moto-runs 20] [--workers 8]

The definition is compiled from ``flows/incident-response-flow.yaml`` (``compile_flow`` +
``substitute_arns``), exactly what ``aofctl run``/``serve`` register. Node handlers are stubs
(the real Transform handler, scripted Agent/Slack/HTTP answers: TEST001, non-critical, auto
approved and resolved), so the figures are the interpreters' own cost: a SQLite checkpoint per
transition for the engine; boto calls and a thread per execution for moto. Prints runs per
second and per-transition overhead (wall time / states entered) of each, and their ratio.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.chdir(ROOT)  # the tutorial's relative paths (flows/, agents/)

from chalicelib.engine.engine import Engine  # noqa: E402
from chalicelib.engine.invoker import FunctionInvoker  # noqa: E402
from tests.support.moto_sfn import MotoSfn  # noqa: E402
from tests.support.scripted import TEST001, Scripted, definition_of, diagnosis, remediation, tutorial  # noqa: E402

FLOW = "incident-auto-response"


def stubs() -> Scripted:
    return Scripted(
        {"diagnose": diagnosis("high"), "remediate": remediation(), "verify-fix": diagnosis("low")},
    )


def initial(i: int) -> dict[str, Any]:
    return {
        "event": {"incident": {**TEST001, "id": f"BENCH{i}"}, "event_id": f"evt-{i}"},
        "vars": {},
        "nodes": {},
        "flow": {"name": FLOW, "run_id": f"run-{i}", "started_at": "2026-11-26T10:00:00+00:00"},
    }


def compiled() -> dict[str, Any]:
    flow, agents = tutorial()
    return definition_of(flow, agents)


def bench_engine(definition: dict[str, Any], runs: int, workers: int) -> tuple[float, int]:
    with tempfile.TemporaryDirectory() as tmp:
        engine = Engine(Path(tmp) / "bench.db", FunctionInvoker(stubs()), max_workers=workers)
        engine.register_state_machine(FLOW, definition)
        started = time.perf_counter()
        engine.start()
        ids = [engine.start_execution(FLOW, f"run-{i}", initial(i)) for i in range(runs)]
        for execution in ids:
            desc = engine.wait_for(execution, timeout=600)
            assert desc.status == "SUCCEEDED", desc
        elapsed = time.perf_counter() - started
        engine.stop()
        transitions = sum(len(engine.state_sequence(i)) for i in ids)
        engine.close()
    return elapsed, transitions


def bench_moto(definition: dict[str, Any], runs: int) -> tuple[float, int]:
    with MotoSfn(stubs()) as sfn:
        arn = sfn.create_state_machine(definition)
        started = time.perf_counter()
        ids = [sfn.start(arn, initial(i), f"run-{i}") for i in range(runs)]
        for execution in ids:
            desc = sfn.wait_for(execution, timeout=600)
            assert desc["status"] == "SUCCEEDED", desc
        elapsed = time.perf_counter() - started
        transitions = sum(len(sfn.state_sequence(i)) for i in ids)
    return elapsed, transitions


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--moto-runs", type=int, default=20)
    parser.add_argument("--workers", type=int, default=8)
    args = parser.parse_args()

    definition = compiled()
    e_time, e_trans = bench_engine(definition, args.runs, args.workers)
    m_time, m_trans = bench_moto(definition, args.moto_runs)
    e_rps, m_rps = args.runs / e_time, args.moto_runs / m_time
    e_per, m_per = e_time / e_trans * 1e3, m_time / m_trans * 1e3
    print(f"tutorial flow ({FLOW}), stub handlers, {e_trans // args.runs} states per run")
    print(
        f"engine: {args.runs} runs, {e_trans} transitions in {e_time:.2f}s: "
        f"{e_rps:.1f} runs/s, {e_per:.3f} ms/transition (workers={args.workers})"
    )
    print(
        f"moto:   {args.moto_runs} runs, {m_trans} transitions in {m_time:.2f}s: "
        f"{m_rps:.1f} runs/s, {m_per:.3f} ms/transition"
    )
    print(f"ratio (engine/moto): {e_rps / m_rps:.1f}x runs/s, {m_per / e_per:.1f}x less overhead per transition")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
