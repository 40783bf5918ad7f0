"""State transitions per tutorial path, counted from moto's Step Functions execution history.

Step Functions Standard bills per state transition. The target: at most one state more than
the flow nodes executed on any path. Run: ``.venv/bin/python bench/transitions.py``.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.moto_sfn import MotoSfn  # noqa: E402
from tests.support.scripted import (  # noqa: E402
    TEST001,
    TEST002,
    Scripted,
    decision,
    definition_of,
    diagnosis,
    initial_state,
    remediation,
    tutorial,
)

CONDITIONALS = {"check-severity", "remediation-failed"}


def script(severity: str, approval: bool, result: str = "success") -> Scripted:
    return Scripted(
        {
            "diagnose": diagnosis(severity, approval),
            "remediate": remediation(result),
            "verify-fix": diagnosis("low"),
            "rollback": remediation(),
        }
    )


def run(
    name: str, definition: dict, scripted: Scripted, decide: str | None, incident: dict = TEST001
) -> tuple[str, int, int, list[str]]:
    with MotoSfn(scripted) as sfn:
        arn = sfn.create_state_machine(definition)
        execution = sfn.start(arn, initial_state(incident), name="bench")
        if decide:
            sfn.send_task_success(sfn.wait_for_token(), decision(decide))
        described = sfn.wait_for(execution, timeout=60)
        entered = sfn.state_sequence(execution)
    nodes = json.loads(described.get("output") or "{}").get("nodes", {})
    ran = [
        k for k, r in nodes.items() if isinstance(r, dict) and r.get("status") in ("succeeded", "failed", "timed_out")
    ]
    decided = [s for s in entered if s in CONDITIONALS]
    return name, len(entered), len(ran) + len(decided), entered


def main() -> int:
    # moto logs every Choice guard that reads a missing path (IsPresent false) as an error.
    logging.getLogger("moto.stepfunctions").setLevel(logging.CRITICAL)
    flow, agents = tutorial()
    definition = definition_of(flow, agents)
    short_flow, _ = tutorial(**{"timeout_seconds: 600  # 10 minutes": "timeout_seconds: 1"})
    rows = [
        run("TEST001 auto-approved, resolved", definition, script("high", False), None),
        run("TEST002 approved, resolved", definition, script("critical", True), "approve", TEST002),
        run("TEST002 approval skipped", definition, script("critical", True), "skip", TEST002),
        run("approval timed out", definition_of(short_flow, agents), script("critical", True), None, TEST002),
        run("remediation failed, rolled back", definition, script("high", False, "failed"), None),
    ]
    print(f"{'path':<34} {'states entered':>14} {'nodes executed':>15} {'extra':>6}  verdict")
    worst = 0
    for name, states, executed, _ in rows:
        extra = states - executed
        worst = max(worst, extra)
        print(f"{name:<34} {states:>14} {executed:>15} {extra:>6}  {'ok' if extra <= 1 else 'over target (+1)'}")
    print(f"\nworst path: {worst} state(s) above the nodes executed (target: at most 1)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
