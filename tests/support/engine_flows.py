"""Definitions shaped like the compiler's output, and handler stubs, shared by the engine's
differential tests (moto vs embedded engine) and bench/engine.py."""

from __future__ import annotations

import re
import threading
import time
from collections import Counter
from typing import Any

FN = "arn:aws:lambda:us-east-1:123456789012:function:aof-dev-{}"
INVOKE = "arn:aws:states:::lambda:invoke"
INVOKE_WAIT = "arn:aws:states:::lambda:invoke.waitForTaskToken"


class NodeFailed(Exception):
    """A node handler's business failure (what a Lambda raises)."""


class ServiceUnavailable(Exception):
    """Transient: the flows retry it."""


def task(
    node: str,
    *,
    function: str = "agent_node",
    nxt: str | None = None,
    wait: bool = False,
    extra: dict[str, Any] | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """A Task state as the compiler emits it (FunctionName ARN, Payload, ResultSelector, ResultPath)."""
    payload: dict[str, Any] = {
        "node": {"id": node, "type": "Agent", "config": extra or {}},
        "flow": {"name": "incident-auto-response"},
        "state.$": "$",
        "context": {
            "execution_id.$": "$$.Execution.Id",
            "execution_name.$": "$$.Execution.Name",
            "started_at.$": "$$.Execution.StartTime",
            "entered_at.$": "$$.State.EnteredTime",
            "retry_count.$": "$$.State.RetryCount",
        },
    }
    if wait:
        payload["task_token.$"] = "$$.Task.Token"
    state: dict[str, Any] = {
        "Type": "Task",
        "Resource": INVOKE_WAIT if wait else INVOKE,
        "Parameters": {"FunctionName": FN.format(function), "Payload": payload},
        "ResultSelector": {"status.$": "$.status", "output.$": "$.output"}
        if wait
        else {"status.$": "$.Payload.status", "output.$": "$.Payload.output"},
        "ResultPath": f"$.nodes['{node}']" if "-" in node else f"$.nodes.{node}",
    }
    state.update(fields)
    if nxt is None:
        state["End"] = True
    else:
        state["Next"] = nxt
    return state


def incident_flow() -> dict[str, Any]:
    """Diagnose -> severity Choice -> (approval | auto-fix) -> Parallel(verify, notify) -> done."""
    return {
        "StartAt": "init",
        "States": {
            "init": {
                "Type": "Pass",
                "Parameters": {"event.$": "$.event", "nodes": {}, "flow": {"name": "incident-auto-response"}},
                "Next": "diagnose",
            },
            "diagnose": task("diagnose", nxt="severity"),
            "severity": {
                "Type": "Choice",
                "Choices": [
                    {
                        "And": [
                            {"Variable": "$.event.incident.urgency", "IsPresent": True},
                            {"Variable": "$.event.incident.urgency", "StringEquals": "high"},
                        ],
                        "Next": "request-approval",
                    },
                    {"Variable": "$.nodes.diagnose.output.confidence", "NumericGreaterThan": 0.5, "Next": "auto-fix"},
                ],
                "Default": "escalate",
            },
            "request-approval": task(
                "request-approval",
                function="approval_node",
                wait=True,
                nxt="approved?",
                TimeoutSeconds=1,
                Catch=[
                    {"ErrorEquals": ["States.Timeout"], "ResultPath": "$.approval_error", "Next": "escalate"},
                    {"ErrorEquals": ["Rejected"], "ResultPath": "$.approval_error", "Next": "escalate"},
                ],
            ),
            "approved?": {
                "Type": "Choice",
                "Choices": [
                    {
                        "Variable": "$.nodes['request-approval'].output.approved",
                        "BooleanEquals": True,
                        "Next": "auto-fix",
                    }
                ],
                "Default": "escalate",
            },
            "auto-fix": task(
                "auto-fix",
                nxt="verify",
                Retry=[
                    {"ErrorEquals": ["ServiceUnavailable"], "IntervalSeconds": 1, "BackoffRate": 1.0, "MaxAttempts": 2}
                ],
                Catch=[{"ErrorEquals": ["States.ALL"], "ResultPath": "$.fix_error", "Next": "escalate"}],
            ),
            "verify": {
                "Type": "Parallel",
                "Branches": [
                    {"StartAt": "verify-fix", "States": {"verify-fix": task("verify-fix")}},
                    {
                        "StartAt": "summarise",
                        "States": {
                            "summarise": {
                                "Type": "Pass",
                                "Parameters": {"text.$": "States.Format('incident {} fixed', $.event.incident.id)"},
                                "End": True,
                            }
                        },
                    },
                ],
                "ResultSelector": {"verified.$": "$[0].nodes['verify-fix'].output", "summary.$": "$[1]"},
                "ResultPath": "$.verification",
                "Next": "resolved",
            },
            "resolved": {"Type": "Succeed", "OutputPath": "$"},
            "escalate": task("escalate", function="notify_node", nxt="failed"),
            "failed": {"Type": "Fail", "Error": "Escalated", "Cause": "the incident needs a human"},
        },
    }


def incident(
    incident_id: str,
    *,
    urgency: str = "low",
    confidence: float = 0.9,
    fix_failures: int = 0,
    fix_error: str = "ServiceUnavailable",
) -> dict[str, Any]:
    return {
        "event": {
            "incident": {"id": incident_id, "urgency": urgency, "title": "high memory"},
            "test": {"confidence": confidence, "fix_failures": fix_failures, "fix_error": fix_error},
        }
    }


class Stubs:
    """Handler stubs behind every FunctionName; behaviour driven by the run's input.

    ``calls`` records (function, node id, execution name); ``tokens`` the task tokens seen.
    """

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.calls: list[tuple[str, str, str]] = []
        self.tokens: list[str] = []
        self.attempts: Counter[tuple[str, str]] = Counter()
        self._lock = threading.Lock()

    def __call__(self, function: str, payload: dict[str, Any]) -> Any:
        node = payload.get("node", {}).get("id", "?")
        run = str(payload.get("context", {}).get("execution_name", ""))
        with self._lock:
            self.calls.append((function, node, run))
            self.attempts[(run, node)] += 1
            attempt = self.attempts[(run, node)]
            if "task_token" in payload:
                self.tokens.append(payload["task_token"])
        if self.delay:
            time.sleep(self.delay)
        test = payload.get("state", {}).get("event", {}).get("test", {})
        if node == "diagnose":
            return {
                "status": "succeeded",
                "output": {"confidence": test.get("confidence", 0.9), "cause": "memory leak"},
            }
        if node == "auto-fix":
            if attempt <= test.get("fix_failures", 0):
                error = ServiceUnavailable if test.get("fix_error") == "ServiceUnavailable" else NodeFailed
                raise error(f"fix attempt {attempt} failed")
            return {"status": "succeeded", "output": {"action": "rollout restart", "attempt": attempt}}
        if node == "verify-fix":
            return {"status": "succeeded", "output": {"healthy": True}}
        if node == "request-approval":
            return {"status": "waiting"}
        return {"status": "succeeded", "output": {"node": node}}


_TS = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)?")


def normalise(value: Any) -> Any:
    """Drop what legitimately differs between backends: ids and timestamps."""
    if isinstance(value, dict):
        return {k: normalise(v) for k, v in value.items()}
    if isinstance(value, list):
        return [normalise(v) for v in value]
    if isinstance(value, str):
        if value.startswith("arn:aws:states:"):
            return "<arn>"
        if _TS.fullmatch(value):
            return "<timestamp>"
    return value
