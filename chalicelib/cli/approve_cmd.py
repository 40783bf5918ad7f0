"""``aofctl approve RUN_ID --decision approve|pause|skip [--by NAME]``: decide from a terminal.

Works whether or not ``aofctl serve`` is running on the same state directory, without a
network hop. The decision goes through the two SQLite files every process can open:

1. the approval is decided in the store (``aof.db``) with the same conditional write the Slack
   routes use (``resolve_approval``): decided once, by an allowed approver, recorded with who
   and when;
2. its task token is resolved in the engine database (``engine.db``) by
   :class:`chalicelib.engine.tokens.TokenClient`, which only marks the token and makes the waiting
   run due, under SQLite's cross-process write lock. The serving engine polls its database at
   least every half second and carries the run on; if no server is running, the next
   ``aofctl serve`` or ``aofctl run`` on that state directory resumes it;
3. when ``SLACK_BOT_TOKEN`` is set, the Slack message that asked loses its buttons and shows
   the decision, exactly as after a click (a Slack failure is logged; the decision stands).

We chose this over a loopback admin route on the server: nothing listens or needs a secret
token file, and an approval given while the server is down is not lost.
"""

from __future__ import annotations

import argparse
import getpass
import os
import socket
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from chalicelib.engine.errors import TaskDoesNotExist, TaskTimedOut

from .. import settings
from ..nodes.notify import make_notifier
from ..service.ports import StoreApprovalResolver
from ..store import open_store
from .run_ref import RunRefError, find_run

# Imported when the command runs, not when ``aofctl`` starts: the token client (28 ms), the
# Slack node (17 ms), the node models (4 ms) and the approval node (1 ms).

EXIT_OK, EXIT_ERROR, EXIT_REFUSED = 0, 1, 3


def _approvals_of(store: Any, run: Any) -> list[Any]:
    """Every approval the run asked for (decided or not), from its ApprovalDecided trail and ids."""
    from ..nodes.models import NodeInput, TaskContext
    from ..nodes.slack import approval_id_for

    found: dict[str, Any] = {}
    node_ids = {event.node_id for event in store.runs.events(run.run_id) if event.node_id}
    for node_id in sorted(node_ids):
        probe = NodeInput(node={"id": node_id, "type": "Slack"}, context=TaskContext(execution_id=run.execution_arn))
        record = store.approvals.get_approval(approval_id_for(probe))
        if record is not None:
            found[record.approval_id] = record
    return list(found.values())


def _refusal(store: Any, run: Any) -> str:
    """Why there is nothing to decide, with who decided and when if someone did."""
    lines = []
    for record in _approvals_of(store, run):
        if record.status == "pending":
            lines.append(f"  {record.node_id}: timed out without a decision (expired {_when(record.expires_at)})")
        else:
            who = record.decided_by or record.cancel_reason or "the system"
            at = record.decided_at or "-"
            lines.append(f"  {record.node_id}: already {record.status} by {who} at {at}")
    head = f"nothing to approve: run {run.run_id} has no pending approval (run {run.status})"
    return "\n".join([head, *lines])


def _when(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat()


def _approve(args: argparse.Namespace) -> int:
    from chalicelib.engine.tokens import TokenClient

    from ..nodes.approvals import show_decision

    env = dict(os.environ)
    state_dir = Path(args.state_dir) if args.state_dir else settings.state_dir(env)
    store_path, engine_path = state_dir / "aof.db", state_dir / "engine.db"
    if not store_path.exists() or not engine_path.exists():
        print(f"error: no embedded state in {state_dir} (use --state-dir or AOF_STATE_DIR)", file=sys.stderr)
        return EXIT_ERROR
    store = open_store(f"sqlite:///{store_path.resolve()}")
    tokens = TokenClient(engine_path)
    try:
        try:
            run = find_run(store, args.run_id, prefer_pending=True)
        except RunRefError as error:
            print(f"error: {error} in {state_dir}", file=sys.stderr)
            return EXIT_ERROR
        pending = store.approvals.find_pending_by_run(run.run_id)
        if args.node:
            pending = [p for p in pending if p.node_id == args.node]
        if not pending:
            print(_refusal(store, run), file=sys.stderr)
            return EXIT_REFUSED
        record = pending[0]
        caller = f"{getpass.getuser()}@{socket.gethostname()} (OS user)"
        by = args.by or getpass.getuser()
        # The Slack message that asked loses its buttons and says who decided, as after a click.
        updates = show_decision(lambda: make_notifier(env, store))
        resolver = StoreApprovalResolver(store, tokens.send_task_success, env, on_decided=updates)
        try:
            result = resolver.resolve(record.approval_id, args.decision, by, datetime.now(UTC), caller=caller)
        except (TaskTimedOut, TaskDoesNotExist) as error:
            # The approval timed out in the engine while we decided: its timed-out branch runs.
            print(f"refused: {record.node_id} of run {run.run_id} stopped waiting: {error}", file=sys.stderr)
            return EXIT_REFUSED
        if not result.applied:
            print(f"refused: {record.node_id} of run {run.run_id}: {result.message}", file=sys.stderr)
            return EXIT_REFUSED
        if not (record.approvers or resolver.default_approvers):
            print(
                f"WARNING: {record.node_id} has no approver list, so anyone could decide; recorded as {by} "
                f"by {caller}. Set SLACK_APPROVERS or the node's 'approvers'.",
                file=sys.stderr,
            )
        plan = record.plan.get("proposed_actions") or {}
        print(f"{run.run_id}: {record.node_id} {result.message} at {result.approval.get('decided_at')}")
        for node, action in plan.items():
            print(f"  plan {record.plan_hash[:12]}: {node}: {action}")
        print("  the run continues" + ("" if args.decision == "approve" else " without the remediation"))
        return EXIT_OK
    finally:
        tokens.close()
        store.close()


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    approve = subparsers.add_parser("approve", help="decide a run's pending approval from a terminal")
    approve.add_argument(
        "run_id",
        metavar="RUN",
        help="the run waiting for an approval: its id, a unique prefix, the incident id or the approval id",
    )
    approve.add_argument("--decision", required=True, choices=["approve", "pause", "skip"])
    approve.add_argument("--by", help="who decides (default: your login name); checked against SLACK_APPROVERS")
    approve.add_argument("--node", help="the approval node, when a run waits on several")
    approve.add_argument("--state-dir", help="the embedded state directory (AOF_STATE_DIR)")
    approve.set_defaults(handler=_approve)
