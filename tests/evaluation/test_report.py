"""The table a user reads: a line per incident class under each model's rows."""

from __future__ import annotations

from chalicelib.evaluation.report import as_table
from chalicelib.evaluation.runner import Result


def test_the_table_counts_right_actions_healing_and_harm_per_incident_class():
    rows = [
        Result("a", "builtin:triage", "image-pull", action_ok=True, healed=True),
        Result("b", "builtin:triage", "image-pull", action_ok=False, healed=False, harmful=["x"]),
        Result("c", "builtin:triage", "upstream-outage", action_ok=True),
    ]
    lines = as_table(rows).splitlines()
    start = lines.index("per class:")
    table = {line.split()[0]: line.split()[1:] for line in lines[start + 2 : start + 4]}
    assert table == {"image-pull": ["2", "1/2", "1/2", "1"], "upstream-outage": ["1", "1/1", "-", "0"]}
