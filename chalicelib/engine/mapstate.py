"""The Map state's arithmetic: iteration inputs, concurrency and the tolerated-failure verdict.

The interpreter runs each iteration as a child run, like a Parallel branch; this module decides
what each one receives and when failed iterations fail the whole state.
"""

from __future__ import annotations

from typing import Any

from chalicelib.engine import paths, templates

from .errors import StatesError
from .store import Run

THRESHOLD_EXCEEDED = "States.ExceedToleratedFailureThreshold"


def item_inputs(state: dict[str, Any], effective: Any, context: dict[str, Any]) -> list[Any]:
    """The input of every iteration: ``ItemsPath``'s array, each through ``ItemSelector``."""
    items = paths.read(state.get("ItemsPath", "$"), effective)
    if not isinstance(items, list):
        raise StatesError(
            "States.Runtime",
            f"Map state input at ItemsPath {state.get('ItemsPath', '$')!r} must be a JSON array, "
            f"got {type(items).__name__}",
        )
    selector = state.get("ItemSelector", state.get("Parameters"))
    if selector is None:
        return items
    return [
        templates.render(selector, effective, {**context, "Map": {"Item": {"Index": i, "Value": item}}})
        for i, item in enumerate(items)
    ]


def max_concurrency(state: dict[str, Any], effective: Any) -> int:
    """0 means no limit, as in Step Functions."""
    if "MaxConcurrencyPath" in state:
        value = paths.read(state["MaxConcurrencyPath"], effective)
        if not _count(value):
            raise StatesError("States.Runtime", f"MaxConcurrencyPath gave {value!r}, not a non-negative integer")
        return int(value)
    return int(state.get("MaxConcurrency", 0))


def tolerance(state: dict[str, Any], effective: Any) -> dict[str, float] | None:
    """The tolerated failures, or ``None`` when the state tolerates none (the default)."""
    found: dict[str, float] = {}
    for key, field in (("count", "ToleratedFailureCount"), ("percent", "ToleratedFailurePercentage")):
        value = state.get(field)
        if f"{field}Path" in state:
            value = paths.read(state[f"{field}Path"], effective)
            valid = _count(value) if key == "count" else _percentage(value)
            if not valid:
                raise StatesError("States.Runtime", f"{field}Path gave {value!r}")
        if value is not None:
            found[key] = float(value)
    return found or None


def failure(failed: list[Run], total: int, tolerated: dict[str, float] | None) -> tuple[str, str] | None:
    """(error, cause) when the failed iterations fail the state, else ``None``."""
    if not failed:
        return None
    if tolerated is None:
        first = failed[0]
        return first.error or "", first.cause or ""
    over_count = "count" in tolerated and len(failed) > tolerated["count"]
    over_percent = "percent" in tolerated and len(failed) * 100.0 / total > tolerated["percent"]
    if over_count or over_percent:
        return THRESHOLD_EXCEEDED, "The specified tolerated failure threshold was exceeded"
    return None


def result_of(run: Run) -> Any:
    """An iteration's place in the Map's result: its output, or its error when tolerated."""
    if run.status == "SUCCEEDED":
        return run.output
    return {"Error": run.error or "", "Cause": run.cause or ""}


def _count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _percentage(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value <= 100
