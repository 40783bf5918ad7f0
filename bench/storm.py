"""Incident storm: 200 incidents at once. Prints accepted/s, time to record all, peak concurrency.

    .venv/bin/python -m bench.storm                  # admission against a fresh SQLite store
    .venv/bin/python -m bench.storm --url http://127.0.0.1:8000   # POST webhooks to `aofctl serve`

The store mode runs the very admission the run starter uses (``chalicelib.policy.admission.RunAdmission``)
with the tutorial's production rate_limit; each admitted run "acts" for a short while, so the
peak of concurrently acting runs is measured, not assumed.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from chalicelib.policy.admission import RunAdmission
from chalicelib.policy.rate_limit import RateLimitSettings
from chalicelib.store import RunRecord, open_store

FLOW = "incident-auto-response"


def store_storm(n: int, limits: RateLimitSettings, act_seconds: float) -> dict[str, float | int]:
    with tempfile.TemporaryDirectory() as tmp, open_store(f"sqlite:///{Path(tmp) / 'aof.db'}") as store:
        admission = RunAdmission(store.budgets, limits)
        lock = threading.Lock()
        acting = peak = 0
        verdicts: dict[str, str] = {}

        def incident(i: int) -> None:
            nonlocal acting, peak
            run_id = f"storm-{i:04d}"
            store.runs.create_run(RunRecord(run_id=run_id, flow=FLOW, incident_id=f"INC{i:04d}", status="queued"))
            decision = admission.admit(FLOW, run_id)
            with lock:
                verdicts[run_id] = decision.verdict
            if not decision.admitted:
                store.runs.update_run(run_id, status="escalated", outcome="escalated")
                return
            while not admission.acquire_acting(FLOW, run_id):  # a queued run waits for its turn
                time.sleep(0.005)
            with lock:
                acting += 1
                peak = max(peak, acting)
            time.sleep(act_seconds)
            with lock:
                acting -= 1
            admission.release(FLOW, run_id)
            store.runs.update_run(run_id, status="succeeded", outcome="resolved")

        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=64) as pool:
            list(pool.map(incident, range(n)))
        elapsed = time.perf_counter() - started
        recorded = len(store.runs.list_runs(flow=FLOW, limit=n + 10))
        counts = {v: list(verdicts.values()).count(v) for v in ("acting", "queued", "escalated")}
        return {
            "incidents": n,
            "recorded": recorded,
            "duplicates": recorded - len(set(verdicts)),
            **counts,
            "peak_acting": peak,
            "max_concurrent": limits.max_concurrent,
            "seconds_total": round(elapsed, 3),
            "accepted_per_second": round(n / elapsed, 1),
        }


def http_storm(url: str, n: int, token: str) -> dict[str, float | int]:
    sample = json.loads(Path("examples/events/test001.json").read_text())
    codes: list[int] = []

    def post(i: int) -> None:
        body = json.loads(json.dumps(sample))
        incident = body.get("event", body).get("incident", body.get("incident", {}))
        incident["id"] = f"STORM{i:04d}"
        request = urllib.request.Request(
            url.rstrip("/") + "/pagerduty/webhook",
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                codes.append(response.status)
        except urllib.error.HTTPError as error:
            codes.append(error.code)

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=64) as pool:
        list(pool.map(post, range(n)))
    elapsed = time.perf_counter() - started
    return {
        "incidents": n,
        "accepted": sum(1 for c in codes if 200 <= c < 300),
        "seconds_to_record_all": round(elapsed, 3),
        "accepted_per_second": round(n / elapsed, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-n", type=int, default=200)
    parser.add_argument("--url", help="a running `aofctl serve` (else the store is driven directly)")
    parser.add_argument("--token", default="storm-token", help="PAGERDUTY_WEBHOOK_TOKEN of the server")
    parser.add_argument("--max-concurrent", type=int, default=3)
    parser.add_argument("--queue-size", type=int, default=10)
    parser.add_argument("--act-seconds", type=float, default=0.05)
    args = parser.parse_args()
    if args.url:
        figures = http_storm(args.url, args.n, args.token)
    else:
        limits = RateLimitSettings(args.max_concurrent, args.queue_size, 600)
        figures = store_storm(args.n, limits, args.act_seconds)
    width = max(len(k) for k in figures)
    for key, value in figures.items():
        print(f"{key:<{width}}  {value}")


if __name__ == "__main__":
    main()
