"""Naming a run the way an on-call engineer has it at hand: its id, a unique prefix of it, the
incident id (PagerDuty's, or the tutorial's TEST001) or the approval id Slack showed."""

from __future__ import annotations

from typing import Any

#: How many recent runs a prefix or an incident id is looked up among.
SEARCH_LIMIT = 1000


class RunRefError(Exception):
    """The reference names no run, or several (the message lists them)."""


def find_run(store: Any, ref: str, *, prefer_pending: bool = False) -> Any:
    """The one run ``ref`` names; ``RunRefError`` when none or several do.

    With ``prefer_pending`` an incident id that names several runs resolves to the one run that
    waits for an approval, when exactly one does (what ``aofctl approve TEST002`` means).
    """
    run = store.runs.get_run(ref)
    if run is not None:
        return run
    approval = store.approvals.get_approval(ref)
    if approval is not None:
        found = store.runs.get_run(approval.run_id)
        if found is not None:
            return found
    recent = store.runs.list_runs(limit=SEARCH_LIMIT)
    for matches, what in (
        ([r for r in recent if r.incident_id == ref], f"incident {ref}"),
        ([r for r in recent if r.run_id.startswith(ref)], f"prefix {ref!r}"),
    ):
        if prefer_pending and len(matches) > 1:
            waiting = [r for r in matches if store.approvals.find_pending_by_run(r.run_id)]
            if len(waiting) == 1:
                return waiting[0]
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            listed = "\n".join(f"  {r.run_id}  {r.status}  {r.started_at}" for r in matches[:10])
            raise RunRefError(f"{what} names {len(matches)} runs; give one of them:\n{listed}")
    raise RunRefError(f"no run, incident or approval {ref!r}")
