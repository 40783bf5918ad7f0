"""The provider seam: one ``complete`` call per model turn, in our neutral message shape."""

from __future__ import annotations

from typing import Protocol

from chalicelib.agents.types import ModelRequest, ModelResponse


class Provider(Protocol):
    name: str  # "anthropic", "openai", "builtin"
    model: str

    def complete(self, request: ModelRequest) -> ModelResponse:
        """One model turn. Raises ``ProviderUnavailable`` (retryable) or ``ProviderError``."""
