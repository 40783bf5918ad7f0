"""``provider:model`` strings to providers. SDK modules are imported only when a provider is made."""

from __future__ import annotations

from collections.abc import Mapping

from chalicelib.agents.providers.anthropic import AnthropicProvider
from chalicelib.agents.providers.base import Provider
from chalicelib.agents.providers.openai import OpenAIProvider
from chalicelib.errors import ConfigurationError

# The builtin provider (12 ms) is imported only by an agent that uses it.

PROVIDERS = ("anthropic", "openai", "builtin")


def split_model(spec: str) -> tuple[str, str]:
    provider, sep, model = spec.partition(":")
    if not sep or not model or provider not in PROVIDERS:
        raise ConfigurationError(f"model {spec!r} must be 'provider:model' with provider one of {', '.join(PROVIDERS)}")
    return provider, model


def make_provider(spec: str, env: Mapping[str, str], max_retries: int = 2) -> Provider:
    provider, model = split_model(spec)
    if provider == "anthropic":
        return AnthropicProvider(model, env, max_retries)
    if provider == "openai":
        return OpenAIProvider(model, env, max_retries)
    from chalicelib.agents.providers.builtin import BuiltinProvider

    return BuiltinProvider(model)


__all__ = ["PROVIDERS", "Provider", "make_provider", "split_model"]
