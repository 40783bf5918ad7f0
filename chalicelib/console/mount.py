"""The console of one embedded-default process (``aofctl serve``), built from its LocalApp."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.nodes.dispatch import PLACEHOLDER_FUNCTIONS

from ..compiler import compile_flow, substitute_arns
from ..nodes.approvals import show_decision
from ..service.ports import StoreApprovalResolver
from ..spec import FlowGraph
from .auth import ConsoleAuth
from .data import ConsoleData
from .server import Console


def console_for(app: Any, people: list[str], tokens: dict[str, str] | None = None) -> Console:
    """``app`` is a :class:`chalicelib.service.local.LocalApp`; ``people`` who may sign in,
    each by the name that approver lists hold."""
    flows = app.resources.flows
    definitions = {
        name: substitute_arns(compile_flow(flow, app.resources.agents), PLACEHOLDER_FUNCTIONS)
        for name, flow in flows.items()
    }
    data = ConsoleData(app.store, app.runtime, definitions, app.env)
    # The rules of a Slack click: approvers only, nobody approves their own request, expiry
    # judged by the store; the Slack message that asked shows the decision afterwards.
    resolver = StoreApprovalResolver(
        app.store, app.runtime.send_task_success, app.env, on_decided=show_decision(lambda: app.deps.notifier)
    )

    def resolve(approval_id: str, decision: str, by: str, at: datetime, caller: str) -> Any:
        return resolver.resolve(approval_id, decision, by, at, caller=caller)

    def postmortem_page(run_id: str) -> str | None:
        run = app.store.runs.get_run(run_id)
        flow = flows.get(run.flow) if run is not None else None
        return data.postmortem_page(run_id, FlowGraph.of(flow) if flow is not None else None)

    return Console(ConsoleAuth(people, tokens), data, resolve, app.env, postmortem_page)
