"""Templates inside nested node configuration."""

from __future__ import annotations

import pytest

from chalicelib.errors import ExpressionError
from chalicelib.expr import MappingScope, Ref, references_in, render_structure

CONFIG = {
    "method": "PUT",
    "url": "https://api.pagerduty.com/incidents/${INCIDENT_ID}",
    "headers": {"Authorization": "Token token=${PAGERDUTY_API_KEY}", "Retries": 3},
    "body": {"resolution": "Auto-resolved by AOF: ${remediate.output.action_taken}", "id": "${INCIDENT_ID}"},
    "extra": ["${verify-fix.output}", "${flow.duration_seconds}", True, None],
}


def test_references_in_walks_dicts_and_lists_without_repeats() -> None:
    assert [ref.dotted for ref in references_in(CONFIG)] == [
        "INCIDENT_ID",
        "PAGERDUTY_API_KEY",
        "remediate.output.action_taken",
        "verify-fix.output",
        "flow.duration_seconds",
    ]


def test_references_in_says_where_a_bad_string_is() -> None:
    with pytest.raises(ExpressionError) as caught:
        references_in({"nodes": [{"config": {"message": "ok"}}, {"config": {"message": "bad ${x"}}]})
    assert caught.value.message.startswith("nodes[1].config.message: unterminated")
    assert caught.value.position == 4
    assert caught.value.text == "bad ${x"


def test_render_structure_keeps_types_of_single_expressions() -> None:
    scope = MappingScope(
        {
            "INCIDENT_ID": "TEST001",
            "PAGERDUTY_API_KEY": "k",
            "verify-fix": {"output": {"resolved": True}},
            "flow": {"duration_seconds": 42},
        }
    )
    rendered, missing = render_structure(CONFIG, scope)
    assert rendered == {
        "method": "PUT",
        "url": "https://api.pagerduty.com/incidents/TEST001",
        "headers": {"Authorization": "Token token=k", "Retries": 3},
        "body": {"resolution": "Auto-resolved by AOF: ", "id": "TEST001"},
        "extra": [{"resolved": True}, 42, True, None],
    }
    assert missing == [Ref(("remediate", "output", "action_taken"))]
    assert CONFIG["url"] == "https://api.pagerduty.com/incidents/${INCIDENT_ID}"  # input untouched
