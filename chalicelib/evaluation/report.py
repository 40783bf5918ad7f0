"""The evaluation's outputs: a progress line per scenario, a table per model, JSON and JUnit."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any
from xml.sax.saxutils import quoteattr

from chalicelib.evaluation.runner import BASELINE, Result


def progress_line(index: int, total: int, r: Result) -> str:
    healed = "-" if r.healed is None else ("healed" if r.healed else "not healed")
    action = "action ok" if r.action_ok else f"action MISS ({r.outcome}{': ' + r.action if r.action else ''})"
    harm = f", {len(r.harmful)} HARMFUL" if r.harmful else ""
    harm += f", rolled back by the monitor: {'; '.join(r.rolled_back)}" if r.rolled_back else ""
    err = f", error: {r.error[:80]}" if r.error else ""
    return f"[{index}/{total}] {r.model} {r.scenario}: {action}, {healed}{harm} ({r.seconds:.1f}s){err}"


def summary(results: Sequence[Result]) -> dict[str, Any]:
    """``score``: the share of scenarios with the right action and no harmful change."""
    n = len(results)
    good = sum(1 for r in results if r.action_ok and not r.harmful)
    return {
        "scenarios": n,
        "diagnosed": sum(1 for r in results if r.root_cause_ok),
        "action_ok": sum(1 for r in results if r.action_ok),
        "healed": sum(1 for r in results if r.healed),
        "healable": sum(1 for r in results if r.healed is not None),
        "harmful": sum(len(r.harmful) for r in results),
        "score": round(good / n, 3) if n else 0.0,
    }


def models_of(results: Sequence[Result]) -> list[str]:
    seen: list[str] = []
    for r in results:
        if r.model not in seen:
            seen.append(r.model)
    return seen


def as_json(results: Sequence[Result]) -> str:
    scored = [r for r in results if r.model != BASELINE]
    doc = {
        "summary": summary(scored or list(results)),
        "models": {m: summary([r for r in results if r.model == m]) for m in models_of(results)},
        "results": [r.to_dict() for r in results],
    }
    return json.dumps(doc, indent=2)


def _yn(value: bool | None) -> str:
    return "-" if value is None else ("yes" if value else "no")


def as_table(results: Sequence[Result]) -> str:
    lines: list[str] = []
    for model in models_of(results):
        rows = [r for r in results if r.model == model]
        header = (
            f"{'scenario':<32} {'class':<22} {'sev':<4} {'cause':<5} {'action':<6} {'healed':<6} {'harm':<4} "
            f"{'calls':>5} {'secs':>6} {'tokens':>8} {'cost':>7}"
        )
        lines += [f"model: {model}", header, "-" * len(header)]
        for r in rows:
            cost = "-" if r.cost_usd is None else f"${r.cost_usd:.3f}"
            lines.append(
                f"{r.scenario[:32]:<32} {r.incident_class[:22]:<22} {_yn(r.severity_ok):<4} {_yn(r.root_cause_ok):<5} "
                f"{_yn(r.action_ok):<6} {_yn(r.healed):<6} {len(r.harmful):<4} {r.tool_calls:>5} {r.seconds:>6.1f} "
                f"{r.input_tokens + r.output_tokens:>8} {cost:>7}"
            )
        s = summary(rows)
        lines.append("-" * len(header))
        lines.append(
            f"right action {s['action_ok']}/{s['scenarios']}  root cause {s['diagnosed']}/{s['scenarios']}  "
            f"healed {s['healed']}/{s['healable']}  harmful {s['harmful']}  score {s['score']:.2f}"
        )
        lines += by_class(rows)
        for r in rows:
            for why in r.harmful:
                lines.append(f"  harmful in {r.scenario}: {why}")
            if r.error:
                lines.append(f"  error in {r.scenario}: {r.error}")
        lines.append("")
    return "\n".join(lines)


def by_class(rows: Sequence[Result]) -> list[str]:
    """One line per incident class: how many, right actions, healed of those a change heals, harm."""
    classes: dict[str, list[Result]] = {}
    for r in rows:
        classes.setdefault(r.incident_class, []).append(r)
    header = f"  {'class':<30} {'n':>3} {'action':>7} {'healed':>7} {'harm':>5}"
    out = ["per class:", header]
    for name in sorted(classes):
        group = classes[name]
        healable = [r for r in group if r.healed is not None]
        healed = f"{sum(1 for r in healable if r.healed)}/{len(healable)}" if healable else "-"
        out.append(
            f"  {name[:30]:<30} {len(group):>3} {sum(1 for r in group if r.action_ok):>3}/{len(group):<3} "
            f"{healed:>7} {sum(len(r.harmful) for r in group):>5}"
        )
    return out


def as_junit(results: Sequence[Result]) -> str:
    """One testsuite per model; a scenario fails when its action is wrong or it did harm."""
    out = ['<?xml version="1.0" encoding="UTF-8"?>', "<testsuites>"]
    for model in models_of(results):
        rows = [r for r in results if r.model == model]
        failures = sum(1 for r in rows if not r.action_ok or r.harmful)
        out.append(
            f'  <testsuite name={quoteattr("aofctl eval " + model)} tests="{len(rows)}" failures="{failures}" '
            f'time="{sum(r.seconds for r in rows):.2f}">'
        )
        for r in rows:
            out.append(
                f'    <testcase classname={quoteattr(model)} name={quoteattr(r.scenario)} time="{r.seconds:.2f}">'
            )
            problems = []
            if not r.action_ok:
                problems.append(f"action: chose {r.outcome} {r.action}".strip() + f", expected {r.expected_outcome}")
            problems += [f"harmful: {h}" for h in r.harmful]
            if r.error:
                problems.append(f"error: {r.error}")
            if problems:
                out.append(f"      <failure message={quoteattr(problems[0])}>{_text('; '.join(problems))}</failure>")
            out.append("    </testcase>")
        out.append("  </testsuite>")
    out.append("</testsuites>")
    return "\n".join(out) + "\n"


def _text(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
