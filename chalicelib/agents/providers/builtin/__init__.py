"""``builtin:triage``: a deterministic, rule-based model that uses the same tools as an LLM.

It reads the same tool output an LLM would and answers in the agent's output schema: diagnosis
(severity/root_cause/...), remediation (action_taken/result/...), or a markdown report when the
agent has no schema. It lets the product run with no API key and is the fallback when a provider
fails.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from chalicelib.agents.providers.builtin.kube import KubeChannel
from chalicelib.agents.providers.builtin.remediate import remediate
from chalicelib.agents.providers.builtin.report import report
from chalicelib.agents.providers.builtin.transcript import NeedTools, Transcript
from chalicelib.agents.providers.builtin.triage import diagnose, gather, no_tools_diagnosis
from chalicelib.agents.providers.builtin.verify import verified
from chalicelib.agents.types import ModelRequest, ModelResponse
from chalicelib.errors import ConfigurationError

MODELS = ("triage",)


def conform(answer: dict[str, Any], schema: dict[str, Any] | None) -> dict[str, Any]:
    """Fit ``answer`` to an agent's schema: fill required fields it lacks, drop ones not allowed."""
    if not schema:
        return answer
    props: dict[str, Any] = schema.get("properties") or {}
    out = dict(answer)
    if schema.get("additionalProperties") is False:
        out = {k: v for k, v in out.items() if k in props}
    for key in schema.get("required") or []:
        if key in out:
            continue
        prop = props.get(key) or {}
        if "enum" in prop:
            out[key] = prop["enum"][-1]
        else:
            out[key] = {"boolean": False, "number": 0.0, "integer": 0, "array": [], "object": {}}.get(
                str(prop.get("type")), "unknown"
            )
    return out


class BuiltinProvider:
    name = "builtin"

    def __init__(self, model: str) -> None:
        if model not in MODELS:
            raise ConfigurationError(f"unknown builtin model {model!r}; known: {', '.join(MODELS)}")
        self.model = model

    def complete(self, request: ModelRequest) -> ModelResponse:
        transcript = Transcript(request)
        try:
            text = self._answer(transcript, request.output_schema)
        except NeedTools as need:
            return ModelResponse(text="", tool_uses=need.uses, stop_reason="tool_use")
        return ModelResponse(text=text, tool_uses=[], stop_reason="end_turn")

    def _answer(self, t: Transcript, schema: dict[str, Any] | None) -> str:
        props = set((schema or {}).get("properties") or {})
        if schema is None:
            return report(t)
        kube = KubeChannel(t)
        if "action_taken" in props or "rollback_needed" in props:
            if not kube.available:
                answer = {
                    "action_taken": "none",
                    "result": "failed",
                    "verification": "no Kubernetes tool",
                    "rollback_needed": False,
                    "logs": "the agent has no kubectl or Kubernetes tool",
                }
            else:
                answer = remediate(t, kube)
        else:
            if kube.available:
                findings = gather(t, kube)
                diagnosis = verified(t, findings, diagnose(findings))
                if findings.located:
                    diagnosis = replace(diagnosis, root_cause=f"{diagnosis.root_cause} ({findings.located})")
            else:
                diagnosis = no_tools_diagnosis()
            answer = diagnosis.as_output()
        return "```json\n" + json.dumps(conform(answer, schema), indent=2) + "\n```"
