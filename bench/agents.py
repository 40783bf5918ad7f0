"""Score the offline model (``builtin:triage``) on every sandbox scenario.

    .venv/bin/python bench/agents.py [--tools shell|kubernetes] [--no-remediate]

For each scenario: run the tutorial's diagnostic agent with ``model: builtin:triage`` against a
fresh sandbox, compare severity, root-cause keywords and the recommended action with the
scenario's ``expected`` block; then, when the scenario is resolvable, run the remediation agent
on the recommended action and check the incident's workload is healthy again.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from chalicelib.agents import AgentRunOptions, InMemoryStore, run_agent  # noqa: E402
from chalicelib.spec import load_resources  # noqa: E402
from chalicelib.spec.models import AgentResource  # noqa: E402
from sandbox.scenarios import list_scenarios  # noqa: E402
from sandbox.testing import running_sandbox  # noqa: E402

TOOLS = {
    "shell": {"type": "Shell", "config": {"allowed_commands": ["kubectl"], "timeout_seconds": 60}},
    "kubernetes": {"type": "Kubernetes"},
}


def offline(agent: AgentResource, tools: dict[str, Any]) -> AgentResource:
    data = agent.model_dump(by_alias=True, exclude_none=True)
    data["spec"].update(model="builtin:triage", tools=[tools])
    data["spec"].pop("memory", None)
    return AgentResource.model_validate(data)


def prompt_for(incident: dict[str, Any]) -> str:
    inc = incident["event"]["incident"]
    details = inc.get("custom_details") or {}
    return (
        f"Incident: {inc['title']}\nService: {inc['service']['name']}\nUrgency: {inc['urgency']}\n"
        f"Namespace: {details.get('namespace', 'default')}\nResource: {details.get('resource', '')}\n\n"
        "Diagnose this incident and recommend remediation."
    )


def score(output: dict[str, Any], expected: dict[str, Any]) -> dict[str, Any]:
    cause = str(output.get("root_cause", "")).lower()
    keywords = expected.get("root_cause_keywords") or []
    hits = [k for k in keywords if k.lower() in cause]
    want, got = expected.get("action"), output.get("action")
    if want is None:
        action_ok = got is None
    else:
        action_ok = bool(got) and all(got.get(k) == want[k] for k in ("verb", "target", "namespace"))
    return {
        "severity_ok": output.get("severity") == expected.get("severity"),
        "keywords": f"{len(hits)}/{len(keywords)}",
        "keyword_score": len(hits) / len(keywords) if keywords else 1.0,
        "action_ok": action_ok,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tools", choices=sorted(TOOLS), default="shell")
    parser.add_argument("--no-remediate", action="store_true")
    args = parser.parse_args(argv)
    agents = load_resources([ROOT / "agents"]).agents
    diagnostic = offline(agents["incident-diagnostic"], TOOLS[args.tools])
    remediation = offline(agents["incident-remediation"], TOOLS[args.tools])
    rows = []
    for name in list_scenarios():
        with running_sandbox(name) as sb:
            options = AgentRunOptions(kubeconfig=sb.kubeconfig_path, memory=InMemoryStore(), default_fallback=None)
            started = time.perf_counter()
            result = run_agent(diagnostic, prompt_for(sb.incident), options)
            seconds = time.perf_counter() - started
            row = {
                "scenario": name,
                "severity": result.output["severity"],
                "expected": sb.expected["severity"],
                "confidence": result.output["confidence"],
                "calls": len(result.tool_calls),
                "seconds": seconds,
                **score(result.output, sb.expected),
                "resolved": "-",
            }
            if not args.no_remediate and result.output.get("action"):
                fix = run_agent(
                    remediation,
                    f"Execute the following remediation:\n\nAction: {result.output['recommended_action']}\n",
                    options,
                )
                row["resolved"] = "yes" if fix.output["result"] == "success" and sb.wait_resolved(10) else "no"
            rows.append(row)
    header = (
        f"{'scenario':<24} {'severity':<20} {'sev':<4} {'keywords':<8} {'action':<6} {'resolved':<8} "
        f"{'conf':<5} {'calls':<5} {'secs':<5}"
    )
    print(header)
    print("-" * len(header))
    for r in rows:
        print(
            f"{r['scenario']:<24} {r['severity'] + ' (' + r['expected'] + ')':<20} "
            f"{'ok' if r['severity_ok'] else 'MISS':<4} {r['keywords']:<8} {'ok' if r['action_ok'] else 'MISS':<6} "
            f"{r['resolved']:<8} {r['confidence']:<5} {r['calls']:<5} {r['seconds']:<5.1f}"
        )
    n = len(rows)
    print("-" * len(header))
    print(
        f"severity {sum(r['severity_ok'] for r in rows)}/{n}  "
        f"keywords {sum(r['keyword_score'] for r in rows) / n:.0%}  "
        f"action {sum(r['action_ok'] for r in rows)}/{n}  "
        f"resolved {sum(r['resolved'] == 'yes' for r in rows)}/{sum(r['resolved'] != '-' for r in rows)}"
    )
    return 0 if all(r["severity_ok"] and r["action_ok"] for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
