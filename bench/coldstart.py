"""Cold-start import cost of the Lambda entry points, against a bare interpreter, in one run.

Each figure is the median wall time of fresh ``python -c`` processes (so caches of a warm
process never flatter it), measured interleaved so machine noise hits all paths alike:

- bare: ``python -c pass``
- webhook path: what the API handler imports to answer ``POST /pagerduty/webhook`` and the
  Slack routes (``app.py``, the webhook handlers, the store and runtime adapters)
- webhook path + boto3: the same plus the AWS SDK the DynamoDB store and Step Functions use
  (part of the Lambda runtime, but still imported at cold start)
- agent path (anthropic): ``app.py`` and the agent node with the provider its agent uses

It also checks what each path loaded: the webhook path must load no LLM, Kubernetes or MCP
SDK; the agent path only the provider it uses.

    .venv/bin/python bench/coldstart.py [--runs 15]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("anthropic", "openai", "kubernetes", "mcp", "boto3")

WEBHOOK = (
    "import app; import chalicelib.webhooks.pagerduty, chalicelib.webhooks.slack, chalicelib.webhooks.http, "
    "chalicelib.service.ports, chalicelib.service.remote, chalicelib.store.dynamodb, "
    "chalicelib.runtime.stepfunctions, chalicelib.deploy.registry"
)
PATHS = {
    "bare": "pass",
    "webhook path": WEBHOOK,
    "webhook path + boto3": WEBHOOK + "; import boto3",
    "agent path (anthropic)": "import app; import chalicelib.nodes.agent, chalicelib.agents.providers.anthropic, anthropic",
}


def timed(code: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)
    return time.perf_counter() - start


def loaded(code: str) -> set[str]:
    probe = f"{code}\nimport sys; print(' '.join(sys.modules))"
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, check=True, capture_output=True, text=True).stdout
    return {name.split(".")[0] for name in out.split()} & set(HEAVY)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    for code in PATHS.values():  # warm the OS file cache and the .pyc files once
        timed(code)
    samples: dict[str, list[float]] = {name: [] for name in PATHS}
    for _ in range(args.runs):
        for name, code in PATHS.items():
            samples[name].append(timed(code))
    bare = statistics.median(samples["bare"])
    print(f"median of {args.runs} fresh processes each ({sys.version.split()[0]})")
    for name in PATHS:
        value = statistics.median(samples[name])
        heavy = ", ".join(sorted(loaded(PATHS[name]))) or "none"
        print(f"  {name:24s} {value * 1000:7.1f} ms  {value / bare:5.2f}x bare   heavy SDKs loaded: {heavy}")
    webhook = statistics.median(samples["webhook path"]) / bare
    clean = not loaded(PATHS["webhook path"]) and "openai" not in loaded(PATHS["agent path (anthropic)"])
    print(f"webhook path target (<= 3x bare): {'met' if webhook <= 3 else 'NOT met'} ({webhook:.2f}x)")
    print(f"import isolation: {'ok' if clean else 'VIOLATED'}")
    return 0 if webhook <= 3 and clean else 1


if __name__ == "__main__":
    sys.exit(main())
