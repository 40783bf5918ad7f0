"""Rendering ${...} templates: text, defaults, typed values, literal dollars, tutorial strings."""

from __future__ import annotations

import json
from typing import Any

import pytest

from chalicelib.errors import ExpressionError
from chalicelib.expr import Compare, Literal, MappingScope, Ref, parse_template

STATE: dict[str, Any] = {
    "INCIDENT_ID": "TEST001",
    "INCIDENT_TITLE": "High memory usage on api",
    "INCIDENT_SERVICE": "api",
    "INCIDENT_URL": "https://example.pagerduty.com/incidents/TEST001",
    "PAGERDUTY_API_KEY": "u+secret",
    "event": {
        "incident": {
            "id": "TEST001",
            "title": "High memory usage on api",
            "custom_details": {"namespace": "production", "resource": "deployment/api"},
        }
    },
    "diagnose": {"output": {"severity": "high", "root_cause": "memory leak", "confidence": 0.92}},
    "remediate": {"output": {"result": "success", "action_taken": "rollout restart deployment/api"}},
    "verify-fix": {"output": {"resolved": True}},
    "flow": {"duration_seconds": 42},
}
SCOPE = MappingScope(STATE)


def render(text: str, data: dict[str, Any] | None = None) -> str:
    return parse_template(text).render(SCOPE if data is None else MappingScope(data)).text


def test_plain_text_has_no_expressions() -> None:
    template = parse_template("no templates here")
    assert template.parts == ("no templates here",)
    assert template.references() == []
    assert render("no templates here") == "no templates here"


def test_parts_alternate_text_and_expressions() -> None:
    template = parse_template("Incident: ${INCIDENT_TITLE} (${diagnose.output.severity})")
    assert template.parts == (
        "Incident: ",
        Ref(("INCIDENT_TITLE",)),
        " (",
        Ref(("diagnose", "output", "severity")),
        ")",
    )
    assert render(template.text) == "Incident: High memory usage on api (high)"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({}, "ns=default"),
        ({"ns": None}, "ns=default"),
        ({"ns": ""}, "ns=default"),
        ({"ns": "prod"}, "ns=prod"),
        ({"ns": 0}, "ns=0"),  # only missing, null and "" take the default
        ({"ns": False}, "ns=false"),
    ],
)
def test_default_when_missing_null_or_empty(data: dict[str, Any], expected: str) -> None:
    assert render("ns=${ns:-default}", data) == expected


def test_default_text_is_literal_and_may_be_empty_or_contain_spaces() -> None:
    assert render("[${x:-}]", {}) == "[]"
    assert render("[${x:- two words == 'no'}]", {}) == "[ two words == 'no']"
    assert parse_template("${x:-}").references() == [Ref(("x",), "")]


def test_missing_references_render_empty_and_are_reported() -> None:
    rendered = parse_template("a=${a} b=${b.c} a=${a} d=${d:-x}").render(MappingScope({"b": {}}))
    assert rendered.text == "a= b= a= d=x"
    assert rendered.missing == [Ref(("a",)), Ref(("b", "c"))]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("text", "text"),
        (True, "true"),
        (False, "false"),
        (None, "null"),
        (3, "3"),
        (2.5, "2.5"),
        ({"k": [1, "é"]}, '{"k": [1, "é"]}'),
        ([], "[]"),
    ],
)
def test_non_strings_inside_text_render_as_json(value: Any, expected: str) -> None:
    assert render("<${v}>", {"v": value}) == f"<{expected}>"


def test_render_value_keeps_the_type_of_a_single_expression() -> None:
    assert parse_template("${verify-fix.output}").render_value(SCOPE) == {"resolved": True}
    assert parse_template("${flow.duration_seconds}").render_value(SCOPE) == 42
    assert parse_template("${diagnose.output.confidence}").render_value(SCOPE) == 0.92
    assert parse_template("${nothing}").render_value(SCOPE) is None
    assert parse_template("${nothing:-fallback}").render_value(SCOPE) == "fallback"
    assert parse_template('${remediate.output.result == "success"}').render_value(SCOPE) is True


def test_render_value_of_larger_text_is_text() -> None:
    template = parse_template(" ${flow.duration_seconds}")
    assert not template.is_single_expression
    assert template.render_value(SCOPE) == " 42"
    assert parse_template("${a}").is_single_expression
    assert not parse_template("${a}${b}").is_single_expression


def test_expression_inside_a_template() -> None:
    template = parse_template('"auto_resolved": ${remediate.output.result == "success"}')
    assert template.parts[1] == Compare("==", Ref(("remediate", "output", "result")), Literal("success"))
    assert render(template.text) == '"auto_resolved": true'
    failed = {"remediate": {"output": {"result": "failed"}}}
    assert render(template.text, failed) == '"auto_resolved": false'


def test_undecidable_expression_renders_false_and_reports_missing() -> None:
    rendered = parse_template('ok=${remediate.output.result == "success"}').render(MappingScope({}))
    assert rendered.text == "ok=false"
    assert rendered.missing == [Ref(("remediate", "output", "result"))]


def test_literal_keywords_and_strings_inside_braces() -> None:
    assert parse_template("${true}").render_value(SCOPE) is True
    assert parse_template("${'}'}").render_value(SCOPE) == "}"
    assert render('${a == "}"}', {"a": "}"}) == "true"


@pytest.mark.parametrize(
    "text",
    [
        "$HOME and $PATH",
        "costs $5",
        "trailing $",
        '"timestamp": "$(date -u +%Y-%m-%dT%H:%M:%SZ)"',
        "$ {not a template}",
        "{braces} alone }",
    ],
)
def test_dollar_not_followed_by_brace_is_literal(text: str) -> None:
    template = parse_template(text)
    assert template.parts == (text,)
    assert render(text) == text


def test_double_dollar_escapes_a_literal_template_opening() -> None:
    assert render("echo $${HOME} ${INCIDENT_ID}") == "echo ${HOME} TEST001"
    assert parse_template("$${x}").references() == []


@pytest.mark.parametrize(
    ("text", "position"),
    [("Incident ${INCIDENT_TITLE", 9), ("${", 0), ("a ${}", 2), ("a ${   }", 2), ("${a.}", 3), ("${-x}", 2)],
)
def test_malformed_templates_report_where(text: str, position: int) -> None:
    with pytest.raises(ExpressionError) as caught:
        parse_template(text)
    assert caught.value.position == position
    assert caught.value.text == text


class TestTutorialTemplates:
    """Strings copied from the tutorial's incident-response-flow.yaml."""

    def test_transform_exports(self) -> None:
        assert render('export INCIDENT_ID="${event.incident.id}"') == 'export INCIDENT_ID="TEST001"'
        line = 'export K8S_NAMESPACE="${event.incident.custom_details.namespace:-default}"'
        assert render(line) == 'export K8S_NAMESPACE="production"'
        assert render(line, {"event": {"incident": {"custom_details": {}}}}) == 'export K8S_NAMESPACE="default"'

    def test_slack_messages(self) -> None:
        message = (
            "**Incident**: ${INCIDENT_TITLE}\n"
            "**Root Cause**: ${diagnose.output.root_cause}\n"
            "**Confidence**: ${diagnose.output.confidence}\n"
            "**Verification**: ${verify-fix.output}\n"
            "**Resolution Time**: ${flow.duration_seconds}s\n"
        )
        assert render(message) == (
            "**Incident**: High memory usage on api\n"
            "**Root Cause**: memory leak\n"
            "**Confidence**: 0.92\n"
            '**Verification**: {"resolved": true}\n'
            "**Resolution Time**: 42s\n"
        )

    def test_escalation_lists_the_missing_rollback(self) -> None:
        rendered = parse_template("**Rollback**: ${rollback.output.result}").render(SCOPE)
        assert rendered.text == "**Rollback**: "
        assert rendered.missing == [Ref(("rollback", "output", "result"))]

    def test_http_node_strings(self) -> None:
        assert render("https://api.pagerduty.com/incidents/${INCIDENT_ID}") == (
            "https://api.pagerduty.com/incidents/TEST001"
        )
        assert render("Token token=${PAGERDUTY_API_KEY}") == "Token token=u+secret"

    def test_track_metrics_body_is_valid_json(self) -> None:
        body = (
            "{\n"
            '"incident_id": "${INCIDENT_ID}",\n'
            '"duration": ${flow.duration_seconds},\n'
            '"severity": "${diagnose.output.severity}",\n'
            '"auto_resolved": ${remediate.output.result == "success"}\n'
            "}\n"
        )
        assert json.loads(render(body)) == {
            "incident_id": "TEST001",
            "duration": 42,
            "severity": "high",
            "auto_resolved": True,
        }

    def test_log_incident_script_keeps_shell_text(self) -> None:
        script = (
            "cat > /tmp/incident-${INCIDENT_ID}.json <<EOF\n"
            '"duration_seconds": ${flow.duration_seconds},\n'
            '"timestamp": "$(date -u +%Y-%m-%dT%H:%M:%SZ)"\n'
            "EOF\n"
        )
        assert render(script) == (
            "cat > /tmp/incident-TEST001.json <<EOF\n"
            '"duration_seconds": 42,\n'
            '"timestamp": "$(date -u +%Y-%m-%dT%H:%M:%SZ)"\n'
            "EOF\n"
        )

    def test_references_for_static_validation(self) -> None:
        template = parse_template("Incident: ${INCIDENT_TITLE}\nRunbook Steps: ${fetch-runbook.output}")
        assert [ref.dotted for ref in template.references()] == ["INCIDENT_TITLE", "fetch-runbook.output"]
