"""Every AWS call the product's code makes, recorded through botocore's event hooks.

Installed on boto3's default session before any client is made, the recorder sees each call's
action (``states:StartExecution``), its parameters and its error code, and attributes it to
who makes it: ``deployer`` (``aofctl apply``, under ``chalicelib/deploy`` and the apply command),
``runtime`` (any other frame of ``chalicelib/`` or ``app.py``: the deployed functions), or
``harness`` (the test's own clients, not checked).
"""

from __future__ import annotations

import threading
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3

ROOT = Path(__file__).resolve().parents[2]
_DEPLOYER = (str(ROOT / "chalicelib" / "deploy") + "/", str(ROOT / "chalicelib" / "cli" / "apply_cmd.py"))
_RUNTIME = (str(ROOT / "chalicelib") + "/", str(ROOT / "app.py"))


@dataclass(frozen=True)
class AwsCall:
    principal: str
    action: str
    params: dict[str, Any]
    error: str | None
    status: int


def _principal() -> str:
    files = [frame.filename for frame in traceback.extract_stack()]
    if any(f.startswith(_DEPLOYER) for f in files):
        return "deployer"
    if any(f.startswith(_RUNTIME) for f in files):
        return "runtime"
    return "harness"


class CallRecorder:
    def __init__(self) -> None:
        self.calls: list[AwsCall] = []
        self._lock = threading.Lock()

    def install(self) -> CallRecorder:
        events = boto3._get_default_session().events
        events.register("before-parameter-build", self._before)
        events.register("after-call", self._after)
        return self

    def _before(self, params: dict[str, Any], model: Any, context: dict[str, Any], **_: Any) -> None:
        context["aof_call"] = (_principal(), dict(params))

    def _after(self, http_response: Any, parsed: dict[str, Any], model: Any, context: dict[str, Any], **_: Any) -> None:
        principal, params = context.get("aof_call", ("harness", {}))
        action = f"{model.service_model.signing_name}:{model.name}"
        error = (parsed.get("Error") or {}).get("Code") if isinstance(parsed, dict) else None
        with self._lock:
            self.calls.append(AwsCall(principal, action, params, error, int(http_response.status_code)))

    def by(self, principal: str) -> list[AwsCall]:
        with self._lock:
            return [c for c in self.calls if c.principal == principal]
