"""Every case of the conformance corpus behaves on the embedded engine as Step Functions'
documentation says (cases/*.json; see corpus.py for the format)."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from tests.conformance.corpus import DOC_ROOTS, load_cases, run_case, verdict

CASES = load_cases()


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_case_conforms(case: dict[str, Any]) -> None:
    assert verdict(case, run_case(case)) == []


def test_every_case_names_its_documentation_page_and_is_unique() -> None:
    assert all(c["doc"].startswith(DOC_ROOTS) for c in CASES)
    assert [n for n, k in Counter(c["id"] for c in CASES).items() if k > 1] == []
    assert len(CASES) >= 200
