"""A local HTTP server that speaks OpenAI Chat Completions (POST /v1/chat/completions), scripted."""

from __future__ import annotations

import json
import time
from typing import Any

from tests.fakes.anthropic_api import Script, ScriptedServer, Turn

__all__ = ["FakeOpenAI", "Turn", "tool_messages"]


def tool_messages(body: dict[str, Any]) -> list[dict[str, Any]]:
    """Every ``role: tool`` message of a request, oldest first."""
    return [m for m in body.get("messages", []) if m.get("role") == "tool"]


class FakeOpenAI(ScriptedServer):
    path = "/chat/completions"

    def __init__(self, script: Script) -> None:
        super().__init__(script)

    def error_body(self, error_type: str, message: str) -> dict[str, Any]:
        return {"error": {"message": message, "type": error_type, "param": None, "code": None}}

    def reply(self, body: dict[str, Any], turn: Turn) -> dict[str, Any]:
        message: dict[str, Any] = {"role": "assistant", "content": turn.text, "refusal": None}
        if turn.tool_calls:
            message["tool_calls"] = [
                {
                    "id": self.next_id("call_"),
                    "type": "function",
                    "function": {"name": name, "arguments": json.dumps(arguments)},
                }
                for name, arguments in turn.tool_calls
            ]
        prompt = len(json.dumps(body)) // 4
        completion = max(1, len(json.dumps(message)) // 4)
        return {
            "id": self.next_id("chatcmpl-"),
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model"),
            "choices": [
                {
                    "index": 0,
                    "message": message,
                    "finish_reason": "tool_calls" if turn.tool_calls else "stop",
                    "logprobs": None,
                }
            ],
            "usage": {
                "prompt_tokens": prompt,
                "completion_tokens": completion,
                "total_tokens": prompt + completion,
                "prompt_tokens_details": {"cached_tokens": 0},
            },
        }
