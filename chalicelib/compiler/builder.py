"""Lay a flow's node graph out as Step Functions states.

Shape of the output, and why:

* Every executing node is one Task named by its id. A ``Conditional`` node is itself a
  ``Choice`` (its named conditions inlined into the rules of the nodes it leads to), so the
  console shows each decision and no Lambda is spent on it.
* At a fork, branches whose conditions can never hold together are *exclusive*: one
  ``Choice`` picks the branch. Other forks run their branches in a ``Parallel`` and merge.
* Branches that meet again (request-approval | auto-approve -> remediate) share a ``Next``:
  the meeting node's gate. A node whose conditions are not already implied by the branch it
  sits on gets a gate ``Choice`` (``<id>?``).
* A gate that does not hold *skips* its node: two ``Pass`` states record ``$.nodes.<id>`` as
  skipped with the reason, for the node and for everything that only it leads to. The branch an
  exclusive ``Choice`` does not take is not recorded: the decision is in the history.
* Approvals wait on a task token; a timeout goes through an explicit timed-out task (not
  approved, message updated, humans paged) and then to where the approval would have led.
* An unhandled node failure is caught, recorded under ``$.nodes.<id>`` and escalated by the
  lifecycle task before the execution fails: never a silent ``Fail``. Inside a ``Parallel``
  branch a Catch cannot leave the branch, so the Parallel's Catch does it (the error is kept
  under ``$.failure``).
* Inside a ``Parallel`` branch, a jump to the meeting point outside ends the branch (a Choice
  that would jump there goes to a ``<join> (branch end)`` Pass instead).
* A ``Wait`` node is a ``Wait`` state: ``seconds``, or ``until`` as a literal timestamp or a
  ``${path}`` resolved like any reference (``${DEADLINE}`` -> ``$.vars.DEADLINE``). It leaves
  no record under ``$.nodes``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ..expr import Compare, Condition, Expr, Literal, Not, Or, Ref, parse_condition
from ..spec.graph import FlowGraph
from ..spec.models import AgentFlowResource, AgentResource, ConditionalNode, WaitNode, is_approval
from ..spec.references import FlowReferences, jsonpath, node_key
from .boolean import never_two_hold, substitute
from .rules import FALSE, Rule, RuleCompiler, _and, _or, finish, is_const
from .tasks import lifecycle_task, task_state

FAILURE_STATE = "flow failed"
FAIL_STATE = "Failed"


def _gate_name(node_id: str) -> str:
    return f"{node_id}?"


def _skip_name(node_id: str) -> str:
    return f"skip {node_id}"


@dataclass(frozen=True)
class ConditionalEdge:
    """The condition of one ``conditions:`` entry, as (from node, parsed condition)."""

    from_node: str
    condition: Condition

    @property
    def key(self) -> tuple[str, str]:
        return (self.from_node, self.condition.text)


@dataclass
class Builder:
    flow: AgentFlowResource
    agents: dict[str, AgentResource]
    states: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        #: Inside a Parallel branch a Catch cannot leave the branch: errors go to the Parallel's Catch.
        self.branch_depth = 0
        self.safety: dict[str, Any] = {"safety": self.flow.spec.safety.model_dump(mode="json")}
        if self.flow.spec.rate_limit is not None:
            self.safety["rate_limit"] = self.flow.spec.rate_limit.model_dump(mode="json")
        self.graph = FlowGraph.of(self.flow)
        self.refs = FlowReferences(self.flow, self.agents)
        self.order = self.graph.topological_order()
        self.gates: dict[str, list[ConditionalEdge]] = {
            node.id: [ConditionalEdge(c.from_, parse_condition(c.when)) for c in node.conditions]
            for node in self.flow.spec.nodes
        }

    # -- conditions -----------------------------------------------------------------------

    def _expr_of(self, node_id: str, gate: ConditionalEdge) -> Expr:
        """A gate's expression, with ``when: true`` on a single-condition Conditional expanded."""
        source = self.graph.nodes[gate.from_node]
        expr = gate.condition.expr
        if isinstance(expr, Literal) and isinstance(expr.value, bool):
            if isinstance(source, ConditionalNode) and source.config.condition is not None:
                inner = parse_condition(source.config.condition).expr
                return inner if expr.value else Not(inner)
            status = Ref((gate.from_node, "status"))  # resolved through node_key
            return Compare("==" if expr.value else "!=", status, Literal("succeeded"))
        return expr

    def _compiler(self, node_id: str, gate: ConditionalEdge | None) -> RuleCompiler:
        from_node = gate.from_node if gate else None

        def path_of(ref: Ref) -> str:
            return jsonpath(self.refs.resolve(ref, node_id, from_node).path)

        def substitute(ref: Ref) -> Expr | None:
            if from_node is None or len(ref.parts) != 1:
                return None
            source = self.graph.nodes[from_node]
            if isinstance(source, ConditionalNode) and source.config.conditions:
                for named in source.config.conditions:
                    if named.name == ref.parts[0]:
                        return parse_condition(named.expression).expr
            return None

        return RuleCompiler(path_of, substitute)

    def gate_rule(self, node_id: str, want: bool = True) -> Rule:
        """Rule for "the node's conditions hold" (entries are alternatives: any one suffices)."""
        rules = []
        for gate in self.gates[node_id]:
            compiler = self._compiler(node_id, gate)
            expr = self._expr_of(node_id, gate)
            rules.append(compiler.true_rule(expr) if want else compiler.false_rule(expr))
        if not rules:
            return {"__const__": True}
        return _or(*rules) if want else _and(*rules)

    def exclusive(self, node_ids: list[str]) -> bool:
        """True when no two of these nodes' conditions can hold at the same time.

        Each distinct comparison is treated as an independent boolean and every assignment is
        tried; unrelated atoms only make the answer more cautious (a Parallel instead of a Choice).
        """
        if any(not self.gates[n] for n in node_ids):
            return False
        exprs = [Or(tuple(self._inline(n, g) for g in self.gates[n])) for n in node_ids]
        return never_two_hold(exprs)

    def _inline(self, node_id: str, gate: ConditionalEdge) -> Expr:
        compiler = self._compiler(node_id, gate)
        return substitute(self._expr_of(node_id, gate), compiler.substitute)

    # -- layout ---------------------------------------------------------------------------

    def join_of(self, branches: list[str]) -> str | None:
        """The first node (in topological order) every branch reaches: where they meet again."""
        reach = [{b, *self.graph.descendants(b)} for b in branches]
        common = set.intersection(*reach)
        for node in self.order:
            if node in common:
                return node
        return None

    def region(self, start: str, stop: str | None) -> list[str]:
        """Nodes reachable from ``start`` before reaching ``stop``, in topological order."""
        seen = {start, *self.graph.descendants(start)}
        if stop is not None:
            seen -= {stop, *self.graph.descendants(stop)}
        return [n for n in self.order if n in seen]

    def build(self) -> dict[str, Any]:
        entry = self.graph.entries[0]
        start = self.chain(entry, None, assumed=frozenset(), states=self.states)
        self.states[FAILURE_STATE] = lifecycle_task("node_failed", self.flow.name, None, FAIL_STATE)
        self.states[FAILURE_STATE]["Comment"] = "A node failed: record it and hand the incident to a human"
        self.states[FAIL_STATE] = {"Type": "Fail", "Error": "NodeFailed", "Cause": "A node failed; see the run history"}
        return {"start": start, "states": self.states}

    def chain(self, node_id: str, stop: str | None, assumed: frozenset[tuple[str, str]], states: dict[str, Any]) -> str:
        """Emit states for ``node_id`` and what follows it up to ``stop``; return the entry state."""
        body = self.emit_node(node_id, stop, assumed, states)
        needed = [g for g in self.gates[node_id] if g.key not in assumed]
        if not needed:
            return body
        gate = _gate_name(node_id)
        skipped = self.region(node_id, stop)
        after_skip = stop
        skip = self.emit_skip(node_id, skipped, after_skip, states, f"conditions of '{node_id}' did not hold")
        states[gate] = {
            "Type": "Choice",
            "Comment": f"Run '{node_id}' only if: "
            + " OR ".join(f"[{g.from_node}] {g.condition.text}" for g in self.gates[node_id]),
            "Choices": [finish(self.gate_rule(node_id), body)] if not is_const(self.gate_rule(node_id), False) else [],
            "Default": skip,
        }
        if not states[gate]["Choices"]:
            return skip
        return gate

    def emit_skip(
        self, node_id: str, skipped: list[str], next_state: str | None, states: dict[str, Any], reason: str
    ) -> str:
        name = _skip_name(node_id)
        if name in states:
            return name
        records = {
            node_key(n): {
                "status": "skipped",
                "skipped": True,
                "reason": reason if n == node_id else f"'{node_id}' was skipped",
            }
            for n in skipped
        }
        self._skip_states(name, records, skipped, self.entry_of(next_state, states) if next_state else None, states)
        return name

    def entry_of(self, node_id: str, states: dict[str, Any]) -> str:
        """The state a branch goes to when it reaches ``node_id`` (its gate, if it has one)."""
        return _gate_name(node_id) if self.gates[node_id] else node_id

    def emit_node(
        self, node_id: str, stop: str | None, assumed: frozenset[tuple[str, str]], states: dict[str, Any]
    ) -> str:
        node = self.graph.nodes[node_id]
        successors = [s for s in self.graph.successors[node_id]]
        if isinstance(node, ConditionalNode):
            return self.emit_fork(node_id, successors, stop, assumed, states, choice_name=node_id)
        if len(successors) > 1:
            after = f"after {node_id}"
            follow: str | None = self.emit_fork(node_id, successors, stop, assumed, states, choice_name=after)
        elif successors:
            follow = self.follow(successors[0], stop, assumed, states)
        else:
            follow = None
        if isinstance(node, WaitNode):
            wait: dict[str, Any] = {"Type": "Wait", "Comment": f"Wait node '{node_id}'"}
            if node.config.seconds is not None:
                wait["Seconds"] = node.config.seconds
            else:
                wait.update(self._until(node_id, str(node.config.until)))
            wait.update({"Next": follow} if follow else {"End": True})
            states[node_id] = wait
            return node_id
        if node.type in ("Parallel", "Join"):
            marker: dict[str, Any] = {
                "Type": "Pass",
                "Comment": f"{node.type} node '{node_id}'",
                "Result": {"status": "succeeded", "output": {}},
                "ResultPath": jsonpath(("nodes", node_key(node_id))),
            }
            marker.update({"Next": follow} if follow else {"End": True})
            states[node_id] = marker
            return node_id
        timeout_state = None
        if is_approval(node):
            timeout_state = f"{node_id} timed out"
            states[timeout_state] = lifecycle_task("approval_timed_out", self.flow.name, node_id, follow)
            states[timeout_state]["Comment"] = f"No decision on '{node_id}' in time: not approved, humans paged"
        states[node_id] = task_state(
            node,
            self.flow.name,
            self.agents,
            next_state=follow,
            failure_state=None if self.branch_depth else FAILURE_STATE,
            timeout_state=timeout_state,
            safety=self.safety,
            allowed_hosts=self.flow.spec.egress.allowed_hosts,
        )
        return node_id

    def _until(self, node_id: str, until: str) -> dict[str, Any]:
        """``until: ${path}`` waits for the timestamp at that state path; a literal for itself."""
        match = re.fullmatch(r"\$\{\s*([^}:\s]+)\s*\}", until.strip())
        if match is None:
            return {"Timestamp": until.strip()}
        ref = Ref(tuple(match.group(1).split(".")))
        return {"TimestampPath": jsonpath(self.refs.resolve(ref, node_id).path)}

    def follow(
        self, successor: str, stop: str | None, assumed: frozenset[tuple[str, str]], states: dict[str, Any]
    ) -> str | None:
        """Continue a chain into ``successor`` (or hand back to the caller at ``stop``)."""
        if successor == stop:
            return self.entry_of(successor, states)
        if len(self.graph.predecessors[successor]) > 1:
            # A meeting point reached from inside a branch: the fork that owns it lays it out.
            return self.entry_of(successor, states)
        return self.chain(successor, stop, assumed, states)

    def emit_fork(
        self,
        node_id: str,
        successors: list[str],
        stop: str | None,
        assumed: frozenset[tuple[str, str]],
        states: dict[str, Any],
        choice_name: str,
    ) -> str:
        join = self.join_of(successors) if len(successors) > 1 else None
        if join is not None and stop is not None and join not in self.region(node_id, stop) and join != stop:
            join = stop
        inner_stop = join if join is not None else stop
        after_join = None
        if join is not None and join != stop:
            after_join = self.chain(join, stop, assumed, states)
        elif join is not None:
            after_join = self.entry_of(join, states)

        if not successors:
            states[choice_name] = {"Type": "Pass", "Comment": "Conditional with nothing after it", "End": True}
            return choice_name

        if len(successors) == 1 or self.exclusive(successors):
            choices = []
            for succ in successors:
                branch_assumed = assumed | {g.key for g in self.gates[succ]}
                entry = self.emit_node_with_region(succ, inner_stop, frozenset(branch_assumed), states)
                rule = self.gate_rule(succ)
                if not is_const(rule, False):
                    choices.append(finish(rule, entry))
            skipped = [n for s in successors for n in self.region(s, inner_stop)]
            skipped = list(dict.fromkeys(skipped))
            skip_next = after_join if join is not None else None
            reason = f"no branch after '{node_id}' had its conditions hold"
            skip = self.emit_skip_raw(f"skip after {node_id}", skipped, skip_next, states, reason)
            states[choice_name] = {
                "Type": "Choice",
                "Comment": f"Decision '{node_id}'" if choice_name == node_id else f"Branches after '{node_id}'",
                "Choices": choices,
                "Default": skip,
            }
            if not choices:
                states[choice_name] = {"Type": "Pass", "Next": skip}
            return choice_name

        # Not exclusive: every branch runs, side by side, and their records are merged.
        branches = []
        for succ in successors:
            branch_states: dict[str, Any] = {}
            self.branch_depth += 1
            try:
                branch_entry = self.chain(succ, inner_stop, assumed, branch_states)
            finally:
                self.branch_depth -= 1
            if inner_stop is not None:
                _end_at(branch_states, self.entry_of(inner_stop, states))
            branches.append({"StartAt": branch_entry, "States": branch_states})
        merge_nodes = "$[0].nodes"
        merge_vars = "$[0].vars"
        for index in range(1, len(successors)):
            merge_nodes = f"States.JsonMerge({merge_nodes}, $[{index}].nodes, false)"
            merge_vars = f"States.JsonMerge({merge_vars}, $[{index}].vars, false)"
        parallel: dict[str, Any] = {
            "Type": "Parallel",
            "Comment": f"Branches after '{node_id}' run side by side",
            "Branches": branches,
            "ResultSelector": {
                "event.$": "$[0].event",
                "flow.$": "$[0].flow",
                "vars.$": merge_vars,
                "nodes.$": merge_nodes,
            },
            "ResultPath": "$",
            "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.failure", "Next": FAILURE_STATE}],
        }
        parallel.update({"Next": after_join} if after_join else {"End": True})
        states[choice_name] = parallel
        return choice_name

    def emit_node_with_region(
        self, node_id: str, stop: str | None, assumed: frozenset[tuple[str, str]], states: dict[str, Any]
    ) -> str:
        """The body of a branch whose gate the fork's Choice already checked."""
        return self.emit_node(node_id, stop, assumed, states)

    def emit_skip_raw(
        self, name: str, skipped: list[str], next_entry: str | None, states: dict[str, Any], reason: str
    ) -> str:
        records = {node_key(n): {"status": "skipped", "skipped": True, "reason": reason} for n in skipped}
        self._skip_states(name, records, skipped, next_entry, states)
        return name

    def _skip_states(
        self, name: str, records: dict[str, Any], skipped: list[str], next_entry: str | None, states: dict[str, Any]
    ) -> None:
        """Two Pass states: the static records, then merged into ``$.nodes``.

        One state would need the records as an intrinsic-function string literal, whose escaping
        rules differ between Step Functions and its emulators; a ``Result`` is plain JSON.
        """
        merge = f"{name}: record"
        states[name] = {
            "Type": "Pass",
            "Comment": f"Skip {', '.join(skipped)}",
            "Result": records,
            "ResultPath": "$.skipping",
            "Next": merge,
        }
        state: dict[str, Any] = {
            "Type": "Pass",
            "Comment": "Record the skipped nodes under $.nodes",
            "Parameters": {
                "event.$": "$.event",
                "vars.$": "$.vars",
                "flow.$": "$.flow",
                "nodes.$": "States.JsonMerge($.nodes, $.skipping, false)",
            },
        }
        state.update({"Next": next_entry} if next_entry else {"End": True})
        states[merge] = state


def _end_at(branch_states: dict[str, Any], outside: str) -> None:
    """Inside a Parallel branch, a jump to the meeting point outside becomes the branch's end.

    ``Next`` becomes ``End``; a Choice cannot end a branch, so its rules and ``Default`` go to
    one ``Pass`` that ends it.
    """
    end = f"{outside} (branch end)"
    for state in list(branch_states.values()):
        if state.get("Next") == outside:
            del state["Next"]
            state["End"] = True
        for target in [*state.get("Choices", []), state]:
            key = "Next" if target is not state else "Default"
            if target.get(key) == outside:
                target[key] = end
                branch_states[end] = {"Type": "Pass", "Comment": "This branch is done", "End": True}


__all__ = ["FALSE", "Builder"]
