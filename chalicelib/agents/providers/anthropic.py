"""Anthropic Messages API through the official SDK, with prompt caching on system and tools.

The system prompt and tool list are the same on every turn of a run (and across runs of the same
agent), so both carry ``cache_control: ephemeral``; later turns then read them from the cache.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chalicelib import settings
from chalicelib.agents.types import ModelRequest, ModelResponse, ToolUse
from chalicelib.errors import ProviderError, ProviderUnavailable

# The SDK (about 1.6 s to import) is loaded when the first request is made.

EPHEMERAL = {"type": "ephemeral"}


def build_params(request: ModelRequest, model: str) -> dict[str, Any]:
    tools: list[dict[str, Any]] = [
        {"name": t.name, "description": t.description, "input_schema": t.input_schema} for t in request.tools
    ]
    if tools:
        tools[-1]["cache_control"] = EPHEMERAL  # marks the end of the cached prefix: every tool
    params: dict[str, Any] = {
        "model": model,
        "max_tokens": request.max_tokens,
        "system": [{"type": "text", "text": request.system, "cache_control": EPHEMERAL}],
        "messages": [m.to_dict() for m in request.messages],
    }
    if tools:
        params["tools"] = tools
    return params


class AnthropicProvider:
    name = "anthropic"

    def __init__(self, model: str, env: Mapping[str, str], max_retries: int = 2) -> None:
        self.model = model
        self._env = env
        self._max_retries = max_retries
        self._client: Any = None

    def _get_client(self) -> Any:
        if self._client is None:
            import anthropic  # heavy: imported only when an Anthropic model runs

            key = settings.resolve(settings.ANTHROPIC_API_KEY, env=self._env)
            if not key:
                raise ProviderError("ANTHROPIC_API_KEY is not set", provider=self.name)
            base_url = settings.resolve(settings.ANTHROPIC_BASE_URL, env=self._env)
            self._client = anthropic.Anthropic(api_key=key, base_url=base_url, max_retries=self._max_retries)
        return self._client

    def complete(self, request: ModelRequest) -> ModelResponse:
        import anthropic

        client = self._get_client()
        try:
            message = client.messages.create(**build_params(request, self.model), timeout=request.timeout_seconds)
        except anthropic.APIConnectionError as exc:  # includes APITimeoutError
            raise ProviderUnavailable(f"anthropic: {type(exc).__name__}: {exc}", provider=self.name) from exc
        except anthropic.APIStatusError as exc:
            status = exc.status_code
            cls = ProviderUnavailable if status in (408, 409, 429) or status >= 500 else ProviderError
            raise cls(f"anthropic: HTTP {status}: {exc.message}", provider=self.name, status=status) from exc
        except anthropic.APIError as exc:
            raise ProviderError(f"anthropic: {type(exc).__name__}: {exc}", provider=self.name) from exc
        texts: list[str] = []
        uses: list[ToolUse] = []
        for block in message.content:
            if block.type == "text":
                texts.append(block.text)
            elif block.type == "tool_use":
                uses.append(ToolUse(id=block.id, name=block.name, input=dict(block.input or {})))
        usage = message.usage
        warnings = []
        if request.temperature is not None:
            # The Messages API of this SDK generation has no sampling temperature any more.
            warnings.append("model_config.temperature is not supported by the Anthropic Messages API; ignored")
        return ModelResponse(
            warnings=warnings,
            text="\n".join(texts),
            tool_uses=uses,
            input_tokens=usage.input_tokens or 0,
            output_tokens=usage.output_tokens or 0,
            cache_read_tokens=usage.cache_read_input_tokens or 0,
            cache_write_tokens=usage.cache_creation_input_tokens or 0,
            stop_reason=message.stop_reason,
        )
