"""Runs corpus cases on aws-local-stepfunctions (npm), through asl_local.mjs under Node.

The package is installed by ``make references`` (and so by ``make test`` and ``.ci/run``)
into .cache/asl-local; ``ASL_LOCAL_PREFIX`` points elsewhere.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[3]
VERSION = "3.0.0"
# Cases not run on aws-local-stepfunctions, and why (shown in docs/conformance.md).
LEFT_OUT = {"flow/machine-timeout": "its Wait is overridden to 0 ms there, so nothing can time out."}


def entry(env: dict[str, str] | None = None) -> Path:
    prefix = Path((env or os.environ).get("ASL_LOCAL_PREFIX", ROOT / ".cache" / "asl-local"))
    return prefix / "node_modules" / "aws-local-stepfunctions" / "build" / "main.node.esm.js"


def run_cases(cases: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Each case's outcome on aws-local-stepfunctions, by case id."""
    module = entry()
    node = shutil.which("node")
    if node is None or not module.exists():
        raise RuntimeError(
            f"aws-local-stepfunctions {VERSION} is not installed ({module}); run `make references` "
            f"(npm install --prefix .cache/asl-local aws-local-stepfunctions@{VERSION})"
        )
    chosen = [c for c in cases if c["id"] not in LEFT_OUT]
    done = subprocess.run(
        [node, str(Path(__file__).with_name("asl_local.mjs"))],
        input=json.dumps(chosen),
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "ASL_LOCAL_ENTRY": str(module)},
        check=False,
    )
    if not done.stdout:
        raise RuntimeError(f"the aws-local-stepfunctions runner failed: {done.stderr[-2000:]}")
    return {outcome["id"]: outcome for outcome in json.loads(done.stdout)}
