"""Secrets out of every log line, before it is written.

Three nets, so a secret is caught whichever way it arrives:

- by name: the value of any key named like a credential (``token``, ``secret``, ``password``,
  ``authorization``, ``api_key``, ``private_key``...) is masked whatever it holds;
- by value: the current values of the product's secret variables (``settings.SECRET_VARIABLES``)
  and any value registered at start-up are masked wherever they appear in a string;
- by shape: Slack tokens and webhook URLs, PagerDuty ``Token token=`` headers and signatures,
  bearer tokens, Anthropic/OpenAI keys, AWS access keys and ``password=...`` pairs inside text
  are masked even when their variable is not set in this process (an error that quotes a
  header, a model that echoes a key it read).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from typing import Any

from ..settings import secret_values

MASK = "***"

#: Name parts that mark a key as holding a credential (compared after splitting the key on
#: ``_``, ``-``, ``.`` and camelCase, so ``idempotencyKey`` and ``X-Api-Key`` are both seen).
SECRET_NAME_PARTS = frozenset(
    {"token", "secret", "password", "passwd", "authorization", "cookie", "credential", "credentials", "apikey", "key"}
)
_NAME_PARTS = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")

_NAME = r"(?:[A-Za-z0-9_-]*(?:token|secret|password|passwd|api[_-]?key|private[_-]?key|access[_-]?key|authorization))"
#: Patterns whose first group (when present) is kept: the prefix that says what was masked.
_SHAPES = (
    re.compile(r"\bxox[abposre]-[A-Za-z0-9-]{6,}"),  # Slack bot/user/app tokens
    re.compile(r"\bxapp-[A-Za-z0-9-]{6,}"),
    re.compile(r"(https://hooks\.slack\.com/)[A-Za-z0-9/_-]+"),  # Slack incoming webhooks
    re.compile(r"(?ai)(bearer\s+)[A-Za-z0-9._~+/=-]{6,}"),
    re.compile(r"(?ai)(token\s+token=)[^\s\"',;]+"),  # PagerDuty REST API keys
    re.compile(r"(?ai)(x-pagerduty-signature[\"']?\s*[:=]\s*[\"']?)[^\s\"',;]+"),
    re.compile(r"\bv1=[0-9a-f]{32,}"),  # PagerDuty webhook signatures
    re.compile(r"\bsk-(?:ant-|proj-)?[A-Za-z0-9_-]{6,}"),  # Anthropic / OpenAI keys
    re.compile(r"\bAKIA[0-9A-Z]{16}\b"),  # AWS access key ids
    re.compile(r"(?ai)(" + _NAME + r"[\"']?\s*[:=]\s*[\"']?)[^\s\"',;&}]+"),  # password=..., "token": "..."
)


def secret_name(key: str) -> bool:
    """Whether a mapping key names a credential (``task_token``, ``X-Api-Key``, ``password``)."""
    parts = [p.lower() for p in _NAME_PARTS.findall(key)]
    joined = "".join(parts)
    return any(p in SECRET_NAME_PARTS for p in parts) or "apikey" in joined or "privatekey" in joined


class Redactor:
    """Masks secrets in strings and JSON-like values; its known values are read at each call, so
    a secret set after start-up is masked too."""

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        self.env = env
        self._extra: set[str] = set()

    def register(self, values: Iterable[str]) -> None:
        """Mask these values too (a composition root's own environment, resolved secrets)."""
        self._extra.update(v for v in values if v and len(v) >= 4)

    def known(self) -> list[str]:
        values = {*secret_values(os.environ if self.env is None else self.env), *self._extra}
        # Longest first, so a secret that contains another is masked whole.
        return sorted(values, key=len, reverse=True)

    def text(self, value: str, known: list[str] | None = None) -> str:
        for secret in self.known() if known is None else known:
            if secret in value:
                value = value.replace(secret, MASK)
        for pattern in _SHAPES:
            value = pattern.sub(_keep_prefix, value)
        return value

    def value(self, value: Any, known: list[str] | None = None) -> Any:
        """A copy of ``value`` with every secret masked (keys named like credentials whole)."""
        known = self.known() if known is None else known
        if isinstance(value, str):
            return self.text(value, known)
        if isinstance(value, Mapping):
            return {
                str(k): MASK if secret_name(str(k)) and v not in (None, "") else self.value(v, known)
                for k, v in value.items()
            }
        if isinstance(value, list | tuple | set | frozenset):
            return [self.value(v, known) for v in value]
        if isinstance(value, int | float | bool) or value is None:
            return value
        return self.text(str(value), known)


def _keep_prefix(match: re.Match[str]) -> str:
    return (match.group(1) or "" if match.groups() else "") + MASK
