"""Run metrics as CloudWatch embedded-metric-format (EMF) log lines.

In a Lambda, a JSON line on stdout in EMF becomes CloudWatch metrics with no API call (and no
extra latency); powertools' EMF provider writes the format. One line per finished run: its
outcome, duration, approval waits and LLM tokens, with the flow as the dimension.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, TextIO

from .reports.summary import approval_waits, run_seconds, tokens_of
from .store import RunEvent, RunRecord

# Powertools' EMF provider (19 ms) is imported when the first document is written.

NAMESPACE = "AOF/IncidentResponse"
SERVICE = "aof"


@dataclass
class RunMetrics:
    flow: str
    outcome: str
    duration_seconds: float | None
    approval_waits: list[float] = field(default_factory=list)
    tokens_in: int = 0
    tokens_out: int = 0


def run_metrics(run: RunRecord, events: Sequence[RunEvent], history: list[dict[str, Any]] | None = None) -> RunMetrics:
    """The figures of one finished run, from its record, audit trail and (optional) history."""
    tokens_in, tokens_out = tokens_of(events)
    return RunMetrics(
        flow=run.flow,
        outcome=str(run.outcome or run.status),
        duration_seconds=run_seconds(run),
        approval_waits=approval_waits(events, history or []),
        tokens_in=tokens_in,
        tokens_out=tokens_out,
    )


def emf_document(metrics: RunMetrics, *, namespace: str = NAMESPACE) -> dict[str, Any]:
    from aws_lambda_powertools.metrics.provider.cloudwatch_emf.cloudwatch import AmazonCloudWatchEMFProvider

    # A provider of our own: powertools' ``Metrics`` shares one metric set per process.
    provider = AmazonCloudWatchEMFProvider(namespace=namespace, service=SERVICE, metric_set={}, dimension_set={})
    provider.add_dimension("flow", metrics.flow)
    provider.add_metric("Runs", "Count", 1)
    for outcome in ("resolved", "escalated", "failed"):
        provider.add_metric(f"Runs{outcome.capitalize()}", "Count", 1 if metrics.outcome == outcome else 0)
    if metrics.duration_seconds is not None:
        provider.add_metric("RunDuration", "Seconds", metrics.duration_seconds)
    for wait in metrics.approval_waits:
        provider.add_metric("ApprovalWait", "Seconds", wait)
    provider.add_metric("LLMInputTokens", "Count", metrics.tokens_in)
    provider.add_metric("LLMOutputTokens", "Count", metrics.tokens_out)
    provider.add_metadata("outcome", metrics.outcome)
    return dict(provider.serialize_metric_set())


def emit_run_metrics(
    run: RunRecord,
    events: Sequence[RunEvent],
    history: list[dict[str, Any]] | None = None,
    out: TextIO | None = None,
) -> dict[str, Any]:
    """Write the run's EMF line (stdout by default, which Lambda sends to CloudWatch Logs)."""
    document = emf_document(run_metrics(run, events, history))
    stream = out or sys.stdout
    stream.write(json.dumps(document, separators=(",", ":")) + "\n")
    stream.flush()
    return document
