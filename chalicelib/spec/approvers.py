"""Who may approve: an approval that anyone in a channel can give is no approval.

An approval node (``type: Approval``, or a Slack node with ``wait_for_reaction``) takes its
approvers from its own ``approvers``, else the flow's ``safety.approvers``, else the
``SLACK_APPROVERS`` setting. With none of them, every member of the channel could approve. In
a deployed stage that is a configuration error (``aofctl validate --stage``, ``aofctl apply``);
on the embedded default it is a warning, printed and recorded in the run.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from chalicelib.spec.models import AgentFlowResource
from chalicelib.spec.yaml_source import SourceDocument

SLACK_APPROVERS = "SLACK_APPROVERS"


def approvers_from_env(env: Mapping[str, str]) -> list[str]:
    return [a.strip() for a in str(env.get(SLACK_APPROVERS) or "").split(",") if a.strip()]


def approval_node_ids(flow: AgentFlowResource) -> list[tuple[int, str]]:
    """``(index, id)`` of every node that waits for a human decision."""
    found = []
    for index, node in enumerate(flow.spec.nodes):
        config = getattr(node, "config", None)
        if node.type == "Approval" or (node.type == "Slack" and getattr(config, "wait_for_reaction", False)):
            found.append((index, node.id))
    return found


def unguarded_approvals(flow: AgentFlowResource, doc: SourceDocument | None, fallback: Sequence[str]) -> list[str]:
    """``file:line: flow F, node N: ...`` for each approval node nobody in particular guards."""
    if flow.spec.safety.approvers or fallback:
        return []
    out = []
    for index, node_id in approval_node_ids(flow):
        node = flow.spec.nodes[index]
        if getattr(node.config, "approvers", None):
            continue
        where = f"{doc.file}:{doc.line_of(('spec', 'nodes', index))}" if doc else f"<{flow.name}>"
        out.append(
            f"{where}: flow {flow.name}, node {node_id}: no approvers: anyone in the channel could approve; "
            f"list them in the node's 'approvers', the flow's 'safety.approvers' or {SLACK_APPROVERS}"
        )
    return out
