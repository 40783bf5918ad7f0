from __future__ import annotations

import pytest

from chalicelib.agents.parsing import extract_json
from chalicelib.agents.schema import derive_schema, validation_errors


def test_diagnostic_output_format_becomes_a_schema(tutorial):
    schema = derive_schema(tutorial["incident-diagnostic"].spec.instructions)
    props = schema["properties"]
    assert props["severity"] == {"type": "string", "enum": ["critical", "high", "medium", "low"]}
    assert props["requires_approval"] == {"type": "boolean"}
    assert props["confidence"] == {"type": "number", "minimum": 0.0, "maximum": 1.0}
    assert props["affected_components"] == {"type": "array", "items": {"type": "string"}}
    assert props["root_cause"] == {"type": "string"}
    assert set(schema["required"]) == set(props)


def test_remediation_output_format_becomes_a_schema(tutorial):
    schema = derive_schema(tutorial["incident-remediation"].spec.instructions)
    assert schema["properties"]["result"]["enum"] == ["success", "failed", "partial"]
    assert schema["properties"]["rollback_needed"] == {"type": "boolean"}


def test_post_incident_agent_has_no_schema(tutorial):
    assert derive_schema(tutorial["post-incident-analyzer"].spec.instructions) is None


@pytest.mark.parametrize(
    ("answer", "problem"),
    [
        ({"severity": "urgent"}, "severity"),
        ({"confidence": 1.5}, "confidence"),
        ({"requires_approval": "yes"}, "requires_approval"),
        ({"affected_components": "api"}, "affected_components"),
    ],
)
def test_schema_rejects_wrong_values(tutorial, answer, problem):
    schema = derive_schema(tutorial["incident-diagnostic"].spec.instructions)
    good = {
        "severity": "high",
        "root_cause": "x",
        "affected_components": ["api"],
        "impact": "y",
        "recommended_action": "z",
        "requires_approval": False,
        "confidence": 0.5,
    }
    assert validation_errors(good, schema) == []
    problems = validation_errors({**good, **answer}, schema)
    assert problems and problems[0].startswith(problem)


def test_answer_json_is_found_in_fenced_block_or_bare_text():
    assert extract_json('Done.\n```json\n{"a": 1}\n```\n') == {"a": 1}
    assert extract_json('{"a": 2}') == {"a": 2}
    assert extract_json('Result: {"a": 3} as requested') == {"a": 3}
    with pytest.raises(ValueError):
        extract_json("I could not decide.")
