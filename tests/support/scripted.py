"""Stand-ins for the node Lambdas: scripted outputs, the real Transform handler.

These play the far side of Lambda for moto's Step Functions and for the embedded engine, so a
compiled definition can be executed for real and its path checked.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable
from typing import Any

from chalicelib.compiler import compile_flow, substitute_arns
from chalicelib.nodes.dispatch import PLACEHOLDER_FUNCTIONS
from chalicelib.nodes.models import NodeInput
from chalicelib.nodes.transform import handle as transform
from chalicelib.spec import load_resources, load_text

AGENTS = load_resources(["agents"]).agents


def tutorial(**replacements: str) -> tuple[Any, dict[str, Any]]:
    text = open("flows/incident-response-flow.yaml", encoding="utf-8").read()
    for old, new in replacements.items():
        assert old in text, old
        text = text.replace(old, new)
    resources = load_text(text, "flow.yaml")
    assert not resources.problems, resources.problems
    return resources.flows["incident-auto-response"], AGENTS


def definition_of(flow: Any, agents: dict[str, Any] | None = None) -> dict[str, Any]:
    return substitute_arns(compile_flow(flow, agents or AGENTS), PLACEHOLDER_FUNCTIONS)


def initial_state(incident: dict[str, Any]) -> dict[str, Any]:
    return {
        "event": {"incident": incident},
        "vars": {},
        "nodes": {},
        "flow": {"name": "incident-auto-response", "run_id": "r1", "started_at": "2026-11-26T10:00:00+00:00"},
    }


TEST001 = {
    "id": "TEST001",
    "title": "High memory usage on api-deployment",
    "service": {"name": "API Service"},
    "urgency": "high",
    "html_url": "https://yourcompany.pagerduty.com/incidents/TEST001",
    "custom_details": {"namespace": "production", "resource": "deployment/api"},
}


TEST002 = {
    "id": "TEST002",
    "title": "Database connection failures",
    "service": {"name": "Database"},
    "urgency": "high",
    "html_url": "https://yourcompany.pagerduty.com/incidents/TEST002",
    "custom_details": {"namespace": "production", "resource": "statefulset/postgres"},
}


def diagnosis(severity: str | None = "high", requires_approval: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "root_cause": "memory leak",
        "affected_components": ["api"],
        "impact": "slow API",
        "recommended_action": "kubectl rollout restart deployment/api -n production",
        "requires_approval": requires_approval,
        "confidence": 0.9,
    }
    if severity is not None:
        out["severity"] = severity
    return out


def remediation(result: str = "success") -> dict[str, Any]:
    return {
        "action_taken": "kubectl rollout restart deployment/api -n production",
        "result": result,
        "verification": "3/3 ready",
        "rollback_needed": result != "success",
        "logs": "",
    }


class Scripted:
    """``dispatch(function, payload)``: Agent outputs by node id; everything else generic."""

    def __init__(self, agents: dict[str, Any] | None = None, fail: dict[str, Exception] | None = None) -> None:
        self.agents = agents or {}
        self.fail = fail or {}
        self.calls: list[str] = []
        #: (node id or ``lifecycle:<action>``, payload) of every invocation, in order.
        self.payloads: list[tuple[str, dict[str, Any]]] = []
        self.lock = threading.Lock()

    def __call__(self, function: str, payload: dict[str, Any]) -> Any:
        node = (payload.get("node") or {}).get("id") or f"lifecycle:{payload.get('action')}"
        with self.lock:
            self.calls.append(node)
            self.payloads.append((node, copy.deepcopy(payload)))
        if node in self.fail:
            raise self.fail[node]
        if function.endswith("transform_node"):
            return transform(NodeInput.model_validate(copy.deepcopy(payload))).payload()
        if function.endswith("agent_node"):
            output = self.agents[node]
            return {"status": "succeeded", "output": output() if callable(output) else output, "meta": {}}
        if function.endswith("http_node"):
            return {
                "status": "succeeded",
                "output": {"status_code": 200, "ok": True},
                "meta": {"resolved_incident": True},
            }
        if function.endswith("lifecycle"):
            if payload.get("action") == "approval_timed_out":
                out = {"decision": "timeout", "approved": False, "timed_out": True, "reaction": None}
                return {"status": "timed_out", "output": out, "meta": {}}
            return {"status": "failed", "output": {}, "meta": {}}
        return {"status": "succeeded", "output": {"channel": "C1", "ts": "1.1"}, "meta": {}}


def decision(kind: str) -> dict[str, Any]:
    reaction = {"approve": "white_check_mark", "skip": "x", "pause": "double_vertical_bar"}[kind]
    return {
        "status": "succeeded",
        "output": {"decision": kind, "reaction": reaction, "approved": kind == "approve", "decided_by": "U1"},
        "meta": {},
    }


Dispatch = Callable[[str, dict[str, Any]], Any]
