"""Judging a reference implementation's outcome of a corpus case against Step Functions'
documented behaviour (the case's expectation).

An outcome is ``{"status", "output", "error", "cause"}`` or ``{"refused": true, "message"}``.
Causes are not compared: each implementation words its own, and the corpus names error names.
"""

from __future__ import annotations

import json
from typing import Any


def reference_verdict(case: dict[str, Any], outcome: dict[str, Any]) -> str:
    """Empty when ``outcome`` is what the documentation says, else how it differs (one line)."""
    expect = case["expect"]
    if "refused" in expect:
        return "" if outcome.get("refused") else f"accepts it (runs to {outcome.get('status')})"
    if outcome.get("refused"):
        return "refuses the definition: " + str(outcome.get("message", ""))[:160].replace("\n", " ")
    problems = []
    if outcome.get("status") != expect["status"]:
        problems.append(f"{outcome.get('status')} with {outcome.get('error')}: {str(outcome.get('cause'))[:100]}")
    for key in ("output", "error"):
        if key in expect and outcome.get(key) != expect[key] and outcome.get("status") == expect["status"]:
            problems.append(f"{key} {json.dumps(outcome.get(key))[:100]}")
    return "; ".join(problems).replace("\n", " ")
