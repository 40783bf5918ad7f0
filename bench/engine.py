"""Embedded engine throughput vs moto's Step Functions interpreter, same definition and stubs.

    .venv/bin/python bench/engine.py [--runs 1000] [--moto-runs 20] [--workers 8]

Prints runs per second and per-transition overhead (wall time / states entered) of each, and
their ratio. Handlers are stubs (no work), so the figures are the interpreter's own cost:
SQLite checkpoint per transition for the engine; HTTP-less boto calls and threads for moto.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from chalicelib.engine import Engine, FunctionInvoker
from tests.support.engine_flows import Stubs, incident, incident_flow
from tests.support.moto_sfn import MotoSfn


def bench_engine(runs: int, workers: int) -> tuple[float, int]:
    with tempfile.TemporaryDirectory() as tmp:
        engine = Engine(Path(tmp) / "bench.db", FunctionInvoker(Stubs()), max_workers=workers)
        engine.register_state_machine("incident", incident_flow())
        started = time.perf_counter()
        ids = [engine.start_execution("incident", f"run-{i}", incident(f"T{i}")) for i in range(runs)]
        engine.start()
        for execution in ids:
            desc = engine.wait_for(execution, timeout=600)
            assert desc.status == "SUCCEEDED", desc
        elapsed = time.perf_counter() - started
        engine.stop()
        transitions = sum(len(engine.state_sequence(i)) for i in ids)
        engine.close()
    return elapsed, transitions


def bench_moto(runs: int) -> tuple[float, int]:
    with MotoSfn(Stubs()) as sfn:
        arn = sfn.create_state_machine(incident_flow())
        started = time.perf_counter()
        ids = [sfn.start(arn, incident(f"T{i}"), f"run-{i}") for i in range(runs)]
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

    e_time, e_trans = bench_engine(args.runs, args.workers)
    m_time, m_trans = bench_moto(args.moto_runs)
    e_rps, m_rps = args.runs / e_time, args.moto_runs / m_time
    e_per, m_per = e_time / e_trans * 1e3, m_time / m_trans * 1e3
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
