"""The offline post-incident report: markdown from the incident records the tools can read."""

from __future__ import annotations

import json
import os
import re
from typing import Any

from chalicelib.agents.providers.builtin.transcript import Transcript

_PATH_RE = re.compile(r"(/[\w./-]*\*[\w.*-]*|/[\w./-]+\.json)")


def report_calls(t: Transcript) -> list[tuple[str, dict[str, Any]]]:
    shell = t.tool_names.get("shell")
    if shell is None:
        return []
    match = _PATH_RE.search(t.prompt)
    if not match:
        return []
    directory, pattern = os.path.split(match.group(1))
    # No shell expands the glob, so grep does: -r over the directory, --include=pattern.
    if "grep" in shell.description:
        return [("shell", {"command": f"grep -r -H --include={pattern} '' {directory or '/'}"})]
    if "cat" in shell.description and "*" not in pattern:
        return [("shell", {"command": f"cat {match.group(1)}"})]
    return []


def parse_records(text: str) -> list[dict[str, Any]]:
    files: dict[str, list[str]] = {}
    for line in text.splitlines():
        name, sep, rest = line.partition(":")
        if sep and name.startswith("/"):
            files.setdefault(name, []).append(rest)
    if not files and text.strip():
        files["input"] = text.splitlines()
    records = []
    for name, lines in sorted(files.items()):
        body = "\n".join(lines)
        try:
            value = json.loads(body)
        except json.JSONDecodeError:
            value = {"file": name, "raw": body[:500], "note": "not valid JSON"}
        if isinstance(value, dict):
            records.append(value)
    return records


def report(t: Transcript) -> str:
    calls = report_calls(t)
    records: list[dict[str, Any]] = []
    if calls:
        answer = t.gather(calls)[0]
        if answer.ok:
            records = parse_records(answer.text)
    lines = ["# Post-incident report", ""]
    if not records:
        lines += [
            "No incident records could be read with the available tools, so this report has no findings.",
            "",
            f"Request: {t.prompt.strip()[:300]}",
        ]
        return "\n".join(lines)
    resolved = [r for r in records if str(r.get("result")) == "success"]
    lines += [
        f"{len(records)} incident(s) analysed; {len(resolved)} auto-resolved.",
        "",
        "## Timeline",
        "",
        *(
            f"- {r.get('timestamp', '?')}: {r.get('incident_id', r.get('file', '?'))} — {r.get('title', '')} "
            f"(severity {r.get('severity', '?')})"
            for r in records
        ),
        "",
        "## Root cause analysis",
        "",
        *(f"- **{r.get('incident_id', '?')}**: {r.get('root_cause', 'unknown')}" for r in records),
        "",
        "## Contributing factors",
        "",
        *(
            f"- {r.get('incident_id', '?')}: severity {r.get('severity', '?')}, "
            f"duration {r.get('duration_seconds', '?')}s"
            for r in records
        ),
        "",
        "## Remediation effectiveness",
        "",
        "| incident | remediation | result |",
        "|---|---|---|",
        *(
            f"| {r.get('incident_id', '?')} | {r.get('remediation', 'none')} | {r.get('result', '?')} |"
            for r in records
        ),
        "",
        "## Recommendations to prevent recurrence",
        "",
    ]
    for r in records:
        cause = str(r.get("root_cause", "")).lower()
        if "memory" in cause:
            tip = "fix the memory leak and alert on memory growth before the limit"
        elif "image" in cause:
            tip = "verify images exist in the registry before deploying (CI gate)"
        elif "config" in cause:
            tip = "validate configuration in CI and use readiness gates on rollout"
        elif "disk" in cause or "space" in cause:
            tip = "alert on volume usage and size volumes with headroom"
        else:
            tip = "review the runbook for this failure mode"
        lines.append(f"- {r.get('incident_id', '?')}: {tip}")
    return "\n".join(lines)
