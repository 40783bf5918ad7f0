"""docs/conformance.md, rendered from the corpus and tests/conformance/disagreements.json.

.venv/bin/python -m tests.conformance.references.table > docs/conformance.md
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.conformance.corpus import load_cases
from tests.conformance.references import asl_local, moto_runner

HERE = Path(__file__).resolve().parent
DISAGREEMENTS = HERE.parent / "disagreements.json"
LEFT_OUT = {"moto": moto_runner.LEFT_OUT, "aws-local-stepfunctions": asl_local.LEFT_OUT}


def disagreements() -> dict[str, dict[str, dict[str, str]]]:
    loaded: dict[str, dict[str, dict[str, str]]] = json.loads(DISAGREEMENTS.read_text(encoding="utf-8"))
    return loaded


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render() -> str:
    cases = {c["id"]: c for c in load_cases()}
    table = disagreements()
    lines = [
        "# The embedded engine against two references",
        "",
        "The conformance corpus (tests/conformance/cases/, "
        f"{len(cases)} cases) records what Step Functions' documentation says each definition does;",
        "each case names its page. `make test` runs it on the embedded engine, on moto's Step Functions",
        "interpreter and on aws-local-stepfunctions (npm). The engine must match every case; a reference",
        "may differ only where this page lists the case, and the test fails when a reference starts or",
        "stops differing, so the list stays exact. Where the references disagree with each other or with",
        "the engine, the documentation decides, for the reason given in the last column.",
        "",
        "| reference | cases run | agree | differ |",
        "|---|---|---|---|",
    ]
    for ref, rows in table.items():
        run = len(cases) - len(LEFT_OUT[ref])
        lines.append(f"| {ref} | {run} | {run - len(rows)} | {len(rows)} |")
    for ref in table:
        for case_id, why in sorted(LEFT_OUT[ref].items()):
            lines.append("")
            lines.append(f"Left out on {ref}: `{case_id}`, {why}")
    for ref, rows in table.items():
        lines += ["", f"## {ref}", "", "| case | what it does | why the documentation decides |", "|---|---|---|"]
        for case_id, row in sorted(rows.items()):
            doc = cases[case_id]["doc"]
            page = doc.rsplit("/", 1)[-1] or doc
            lines.append(f"| [{case_id}]({doc}) ({page}) | {_cell(row['reference'])} | {_cell(row['why'])} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    print(render(), end="")


if __name__ == "__main__":
    main()
