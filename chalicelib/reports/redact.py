"""Scrub secrets from everything a view prints: the configured secret values, and the token
shapes the product handles even when their variable is not set in this process."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ..settings import secret_values

MASK = "***"
_PATTERNS = (
    re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{6,}"),
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]{6,}"),
    re.compile(r"(?i)(token\s+token=)[^\s\"',]+"),
    re.compile(r"\bsk-(?:ant-)?[A-Za-z0-9_-]{6,}"),
)


class Redactor:
    """Replaces secret values and token-shaped strings with ``***``."""

    def __init__(self, env: Mapping[str, str] | None = None, extra: list[str] | None = None) -> None:
        # Longest first, so a secret that contains another is masked whole.
        self.values = sorted({*secret_values(env), *(extra or [])}, key=len, reverse=True)

    def text(self, value: str) -> str:
        for secret in self.values:
            value = value.replace(secret, MASK)
        for pattern in _PATTERNS:
            value = pattern.sub(lambda m: (m.group(1) if m.groups() else "") + MASK, value)
        return value

    def value(self, value: Any) -> Any:
        """The same for JSON-like values (dict keys are left alone)."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {k: self.value(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.value(v) for v in value]
        return value
