"""The webhook routes must not pay for heavy SDKs at cold start (DESIGN decision 8)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def loaded_after(statement: str) -> set[str]:
    code = f"import sys; {statement}; print('\\n'.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    return {name.split(".")[0] for name in out.stdout.split()}


WEBHOOK_MODULES = (
    "chalicelib.webhooks",
    "chalicelib.webhooks.slack",
    "chalicelib.webhooks.pagerduty",
    "chalicelib.webhooks.incident",
    "chalicelib.webhooks.ports",
    "chalicelib.webhooks.pagerduty_body",
)
#: pydantic alone costs ~50 ms of import time: the webhook path parses with stdlib dataclasses.
HEAVY = {"anthropic", "openai", "kubernetes", "mcp", "slack_sdk", "httpx", "boto3", "pydantic"}


def test_webhook_package_imports_no_heavy_sdk() -> None:
    loaded = loaded_after("import " + ", ".join(WEBHOOK_MODULES))
    assert not loaded & HEAVY
