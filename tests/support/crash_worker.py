"""A real engine process for the crash test: ``python -m tests.support.crash_worker DB LEDGER MODE``.

MODE ``start`` registers the flow, starts one execution and runs it; the ``slow`` task blocks
until the process is killed. MODE ``resume`` picks the run up again and finishes it. Every
invocation is appended to LEDGER (fsync'd) as ``<event> <function> <idempotency_key>`` so the
test can count what ran.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any

from chalicelib.engine.engine import Engine

FN = "arn:aws:lambda:us-east-1:123456789012:function:aof-dev-{}"


def definition() -> dict[str, Any]:
    def task(name: str, nxt: str | None) -> dict[str, Any]:
        state: dict[str, Any] = {
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": FN.format(name), "Payload": {"node": name, "state.$": "$"}},
            "ResultSelector": {"done.$": "$.Payload.done"},
            "ResultPath": f"$.nodes.{name}",
        }
        state.update({"Next": nxt} if nxt else {"End": True})
        return state

    return {
        "StartAt": "first",
        "States": {
            "first": task("first", "second"),
            "second": task("second", "slow"),
            "slow": task("slow", "last"),
            "last": task("last", None),
        },
    }


class LedgerInvoker:
    def __init__(self, ledger: Path, block_slow: bool) -> None:
        self.ledger = ledger
        self.block_slow = block_slow

    def _write(self, line: str) -> None:
        with self.ledger.open("a") as fh:
            fh.write(line + "\n")
            fh.flush()
            os.fsync(fh.fileno())

    def invoke(
        self, function_name: str, payload: dict[str, Any], *, task_token: str | None, idempotency_key: str
    ) -> Any:
        node = payload["node"]
        self._write(f"start {node} {idempotency_key}")
        if node == "slow" and self.block_slow:
            time.sleep(600)  # killed here
        self._write(f"done {node} {idempotency_key}")
        return {"done": node}


def main() -> int:
    db, ledger, mode = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
    engine = Engine(db, LedgerInvoker(ledger, block_slow=mode == "start"))
    if mode == "start":
        engine.register_state_machine("crashy", definition())
        execution = engine.start_execution("crashy", "run-1", {"incident": "TEST001"})
    else:
        execution = engine.list_executions("crashy")[0].execution_id
    engine.start()
    desc = engine.wait_for(execution, timeout=120)
    engine.stop()
    print(desc.status, flush=True)
    return 0 if desc.status == "SUCCEEDED" else 1


if __name__ == "__main__":
    raise SystemExit(main())
