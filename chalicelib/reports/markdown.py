"""The postmortem as markdown: header, summary figures, timeline, and an optional narrative."""

from __future__ import annotations

from ..store import RunEvent, RunRecord
from .summary import run_seconds
from .timeline import TimelineEntry

ICONS = {
    "alert": "🚨",
    "diagnosis": "🔎",
    "approval": "✋",
    "change": "🔧",
    "verification": "✅",
    "rollback": "↩️",
    "failure": "🔴",
    "takeover": "👤",
    "resolution": "🏁",
    "step": "•",
}


def postmortem_markdown(
    run: RunRecord,
    timeline: list[TimelineEntry],
    narrative: str | None = None,
    console_url: str | None = None,
    printed: list[RunEvent] | None = None,
) -> str:
    seconds = run_seconds(run)
    lines = [
        f"# Postmortem: {run.incident_id or run.run_id} {run.title}".rstrip(),
        "",
        f"- **Flow**: {run.flow}",
        f"- **Run**: {run.run_id}",
        f"- **Outcome**: {run.outcome or run.status}",
        f"- **Severity**: {run.severity or 'unknown'}",
        f"- **Started**: {run.started_at}",
        f"- **Ended**: {run.ended_at or 'still running'}",
        f"- **Duration**: {f'{seconds:.1f}s' if seconds is not None else 'n/a'}",
    ]
    if console_url:
        lines.append(f"- **Step Functions**: {console_url}")
    lines += ["", "## Timeline", ""]
    for entry in timeline:
        node = f" `{entry.node_id}`" if entry.node_id else ""
        lines.append(f"- **{entry.at}** {ICONS.get(entry.kind, '•')} {entry.title}{node}")
        lines.extend(f"  - {detail}" for detail in entry.details)
    if printed:
        # The embedded default printed these instead of sending them: nobody was told.
        lines += ["", "## Printed, not sent", ""]
        for event in printed:
            what = event.details.get("channel") or event.details.get("request") or ""
            service = str(event.details.get("service", "")).capitalize().replace("Pagerduty", "PagerDuty")
            reason = event.details.get("reason", "")
            lines.append(f"- `{event.node_id}`: {service} {what} ({reason})")
    if narrative:
        lines += ["", "## Analysis (post-incident-analyzer)", "", narrative.strip()]
    lines.append("")
    return "\n".join(lines)
