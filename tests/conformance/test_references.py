"""The corpus on moto and on aws-local-stepfunctions: each differs from Step Functions'
documentation exactly where tests/conformance/disagreements.json says (and docs/conformance.md
shows), no more and no less."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.conformance.corpus import load_cases
from tests.conformance.references import asl_local, moto_runner
from tests.conformance.references.compare import reference_verdict
from tests.conformance.references.table import disagreements, render

ROOT = Path(__file__).resolve().parents[2]
CASES = load_cases()


def differing(outcomes: dict[str, dict[str, Any]]) -> dict[str, str]:
    by_id = {c["id"]: c for c in CASES}
    found = {case_id: reference_verdict(by_id[case_id], outcome) for case_id, outcome in outcomes.items()}
    return {case_id: verdict for case_id, verdict in found.items() if verdict}


def test_moto_differs_only_where_recorded() -> None:
    outcomes = moto_runner.run_cases(CASES)
    assert len(outcomes) == len(CASES) - len(moto_runner.LEFT_OUT)
    assert sorted(differing(outcomes)) == sorted(disagreements()["moto"])


def test_aws_local_stepfunctions_differs_only_where_recorded() -> None:
    outcomes = asl_local.run_cases(CASES)
    assert len(outcomes) == len(CASES) - len(asl_local.LEFT_OUT)
    assert sorted(differing(outcomes)) == sorted(disagreements()["aws-local-stepfunctions"])


def test_the_docs_table_is_the_recorded_one() -> None:
    written = (ROOT / "docs" / "conformance.md").read_text(encoding="utf-8")
    assert written == render(), (
        "regenerate: .venv/bin/python -m tests.conformance.references.table > docs/conformance.md"
    )
