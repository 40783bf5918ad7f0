"""How the policy judges the hostile command table, against a live sandbox cluster.

    .venv/bin/python bench/policy_attack.py

Runs every entry of ``tests/unit/policy/hostile.py`` through the same judgment ``aofctl policy check
--kubeconfig`` gives (strict parse, static rules, server-side dry run, effect), on a
non-critical incident (the worst case: plain writes need no approval there), then prints how
many were refused, held for an approval, or allowed, and whether the cluster changed. The test
``tests/unit/policy/test_hostile_commands.py`` runs the same table through an agent and the gate.
"""

from __future__ import annotations

import json
import shlex
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from chalicelib.cli.policy_cmd import judge_command  # noqa: E402
from chalicelib.policy.settings import SafetySettings  # noqa: E402
from sandbox.testing import running_sandbox  # noqa: E402
from tests.unit.policy.hostile import KUBECTL  # noqa: E402


def main() -> int:
    started = time.perf_counter()
    with running_sandbox("test001-high-memory") as sb:
        pods = json.loads(sb.kubectl("get", "pods", "-n", "production", "-l", "app=api", "-o", "json").stdout)
        pod = pods["items"][0]["metadata"]["name"]
        rs = pods["items"][0]["metadata"]["ownerReferences"][0]["name"]
        tally: Counter[str] = Counter()
        allowed = []
        for label, command in KUBECTL:
            argv = ["kubectl", *shlex.split(command.replace("{pod}", pod).replace("{rs}", rs))]
            verdict = judge_command(
                argv, SafetySettings(), namespace="default", critical=False, kubeconfig=sb.kubeconfig_path
            )
            tally[verdict.decision] += 1
            if verdict.decision == "allow" and verdict.kind != "read":
                allowed.append((label, command, verdict.reason))
        changed = [a for a in sb.actions if not a.get("dry_run")]
    total = sum(tally.values())
    print(f"hostile kubectl commands judged: {total} in {time.perf_counter() - started:.1f} s")
    print(f"  refused:            {tally['refuse']}")
    print(f"  held for approval:  {tally['approve']}")
    print(f"  allowed as a read:  {tally['allow'] - len(allowed)}")
    print(f"  allowed as a write: {len(allowed)}")
    for label, command, reason in allowed:
        print(f"    {label}: kubectl {command} ({reason})")
    print(f"cluster changes made: {len(changed)}")
    return 1 if allowed or changed else 0


if __name__ == "__main__":
    sys.exit(main())
