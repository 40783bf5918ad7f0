"""Has automation been told to stop for a run? One answer for everything that acts on a run.

A run stops when a human takes the incident over (PagerDuty acknowledge or resolve) or when it
is stopped (``aofctl run``'s Ctrl-C, StopExecution). Both leave the run ``cancelled`` with an
event saying why. The event is what lasts: a run's status may be rewritten when its execution
finishes, while a step already in flight (an agent between two tool calls) must still see the
stop and make no further change.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chalicelib.store.facade import Store

#: The run's status once automation was stopped (the policy gate refuses changes on it).
STOPPED_STATUS = "cancelled"
#: The audit event of a run stopped on purpose (not a takeover in PagerDuty).
RUN_STOPPED = "RunStopped"
HUMAN_TOOK_OVER = "HumanTookOver"


def stop_reason(store: Store, run_id: str) -> str | None:
    """Why automation must stop for ``run_id`` (in words), or ``None`` while it may go on."""
    run = store.runs.get_run(run_id)
    if run is None:
        return None
    for event in store.runs.events(run_id):
        if event.type == RUN_STOPPED:
            return f"the run was stopped ({event.details.get('reason') or 'StopExecution'})"
        if event.type == HUMAN_TOOK_OVER:
            return f"a human took the incident over ({event.details.get('event_type', 'acknowledged')})"
    if run.status == STOPPED_STATUS:
        return "the run was cancelled"
    return None
