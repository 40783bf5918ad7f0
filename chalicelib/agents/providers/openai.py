"""OpenAI Chat Completions with function tools, through the official SDK."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from chalicelib import settings
from chalicelib.agents.types import Message, ModelRequest, ModelResponse, ToolUse
from chalicelib.errors import ProviderError, ProviderUnavailable

# The SDK (about 0.5 s to import) is loaded when the first request is made.


def to_openai_messages(system: str, messages: list[Message]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = [{"role": "system", "content": system}]
    for msg in messages:
        texts = [b["text"] for b in msg.content if b.get("type") == "text"]
        if msg.role == "assistant":
            calls = [
                {
                    "id": b["id"],
                    "type": "function",
                    "function": {"name": b["name"], "arguments": json.dumps(b.get("input") or {})},
                }
                for b in msg.content
                if b.get("type") == "tool_use"
            ]
            entry: dict[str, Any] = {"role": "assistant", "content": "\n".join(texts) or None}
            if calls:
                entry["tool_calls"] = calls
            out.append(entry)
            continue
        # Tool results are their own messages in Chat Completions, before any user text.
        for b in msg.content:
            if b.get("type") == "tool_result":
                out.append({"role": "tool", "tool_call_id": b["tool_use_id"], "content": str(b.get("content", ""))})
        if texts:
            out.append({"role": "user", "content": "\n".join(texts)})
    return out


class OpenAIProvider:
    name = "openai"

    def __init__(self, model: str, env: Mapping[str, str], max_retries: int = 2) -> None:
        self.model = model
        self._env = env
        self._max_retries = max_retries
        self._client: Any = None

    def _get_client(self) -> Any:
        if self._client is None:
            import openai  # heavy: imported only when an OpenAI model runs

            key = settings.resolve(settings.OPENAI_API_KEY, env=self._env)
            if not key:
                raise ProviderError("OPENAI_API_KEY is not set", provider=self.name)
            kwargs: dict[str, Any] = {"api_key": key, "max_retries": self._max_retries}
            base_url = settings.resolve(settings.OPENAI_BASE_URL, env=self._env)
            if base_url:
                kwargs["base_url"] = base_url  # else the SDK reads OPENAI_BASE_URL itself
            self._client = openai.OpenAI(**kwargs)
        return self._client

    def complete(self, request: ModelRequest) -> ModelResponse:
        import openai

        client = self._get_client()
        params: dict[str, Any] = {
            "model": self.model,
            "messages": to_openai_messages(request.system, request.messages),
            "max_completion_tokens": request.max_tokens,
        }
        if request.tools:
            params["tools"] = [
                {
                    "type": "function",
                    "function": {"name": t.name, "description": t.description, "parameters": t.input_schema},
                }
                for t in request.tools
            ]
        if request.temperature is not None:
            params["temperature"] = request.temperature
        try:
            completion = client.chat.completions.create(**params, timeout=request.timeout_seconds)
        except openai.APIConnectionError as exc:  # includes APITimeoutError
            raise ProviderUnavailable(f"openai: {type(exc).__name__}: {exc}", provider=self.name) from exc
        except openai.APIStatusError as exc:
            status = exc.status_code
            cls = ProviderUnavailable if status in (408, 409, 429) or status >= 500 else ProviderError
            raise cls(f"openai: HTTP {status}: {exc.message}", provider=self.name, status=status) from exc
        except openai.OpenAIError as exc:
            raise ProviderError(f"openai: {type(exc).__name__}: {exc}", provider=self.name) from exc
        if not completion.choices:
            raise ProviderUnavailable("openai: response without choices", provider=self.name)
        message = completion.choices[0].message
        uses: list[ToolUse] = []
        for call in message.tool_calls or []:
            function = getattr(call, "function", None)
            if function is None:
                continue
            try:
                arguments = json.loads(function.arguments or "{}")
            except json.JSONDecodeError:
                arguments = {"_unparsed_arguments": function.arguments}
            uses.append(ToolUse(id=call.id, name=function.name, input=arguments if isinstance(arguments, dict) else {}))
        usage = completion.usage
        details = getattr(usage, "prompt_tokens_details", None) if usage else None
        return ModelResponse(
            text=message.content or "",
            tool_uses=uses,
            input_tokens=usage.prompt_tokens if usage else 0,
            output_tokens=usage.completion_tokens if usage else 0,
            cache_read_tokens=(getattr(details, "cached_tokens", None) or 0) if details else 0,
            stop_reason=completion.choices[0].finish_reason,
        )
