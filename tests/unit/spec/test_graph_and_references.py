"""Flow graph shape and every ``${...}`` reference, checked at validation time."""

from __future__ import annotations

from .support import FLOW_HEAD, TUTORIAL_FLOW, check, problems_of


def slack(node_id: str, message: str = "hi", extra: str = "") -> str:
    return (
        f"    - id: {node_id}\n      type: Slack\n      config:\n"
        f"        channel: c\n        message: {message}\n{extra}"
    )


def connections(*pairs: tuple[str, str]) -> str:
    return "  connections:\n" + "".join(f"    - from: {a}\n      to: {b}\n" for a, b in pairs)


DIAGNOSE = "    - id: diagnose\n      type: Agent\n      config:\n        agent: incident-diagnostic\n"


def tutorial() -> str:
    return TUTORIAL_FLOW.read_text(encoding="utf-8")


def test_dangling_target_in_connections():
    text = FLOW_HEAD + slack("b") + connections(("a", "bb"))
    assert "flow.yaml:20: spec.connections[0].to: unknown node 'bb' (did you mean 'b'?)" in problems_of(text)


def test_dangling_source_in_connections():
    text = FLOW_HEAD + slack("b") + connections(("aa", "b"))
    assert "flow.yaml:19: spec.connections[0].from: unknown node 'aa' (did you mean 'a'?)" in problems_of(text)


def test_dangling_target_in_tutorial_fan_out_names_its_line():
    text = tutorial().replace("      to: auto-approve\n\n", "      to: auto-aprove\n\n")
    problems, _ = check(text)
    assert (
        "flow.yaml:253: spec.connections[3].to: unknown node 'auto-aprove' (did you mean 'auto-approve'?)" in problems
    )


def test_condition_from_unknown_node():
    text = tutorial().replace(
        "        - from: check-severity\n          when: is_critical",
        "        - from: check-severty\n          when: is_critical",
        1,
    )
    problems, _ = check(text)
    assert problems == [
        "flow.yaml:99: spec.nodes[request-approval].conditions[0].from: unknown node 'check-severty' "
        "(did you mean 'check-severity'?)"
    ]


def test_condition_from_a_node_that_does_not_run_before():
    text = FLOW_HEAD + slack("b") + slack("c", extra="      conditions:\n        - from: b\n          when: true\n")
    text += "  connections:\n    - from: a\n      to: [b, c]\n"
    assert problems_of(text) == [
        "flow.yaml:24: spec.nodes[c].conditions[0].from: 'b' does not lead to 'c'; a condition can only test a "
        "node that runs before it"
    ]


def test_cycle_prints_its_path():
    text = FLOW_HEAD + slack("b") + slack("c") + connections(("a", "b"), ("b", "c"), ("c", "b"))
    assert problems_of(text) == ["flow.yaml:23: spec.connections: cycle b -> c -> b"]


def test_self_connection():
    text = FLOW_HEAD + slack("b") + connections(("a", "b"), ("b", "b"))
    assert "flow.yaml:21: spec.connections[1]: node 'b' connects to itself" in problems_of(text)


def test_two_entry_nodes():
    text = FLOW_HEAD + slack("b") + slack("c") + connections(("a", "b"))
    assert problems_of(text) == [
        "flow.yaml:8: spec.nodes: the flow must start at exactly one node, but a, c have no incoming connection "
        "(connect them or remove them)"
    ]


def test_unreachable_node_in_the_tutorial_is_named():
    # The node "escalate" loses its only incoming connection: nothing leads to it any more.
    text = tutorial().replace("    - from: rollback\n      to: escalate\n\n", "")
    problems, _ = check(text)
    assert (
        "flow.yaml:17: spec.nodes: the flow must start at exactly one node, but parse-alert, escalate have no "
        "incoming connection (connect them or remove them)"
    ) in problems


def test_duplicate_node_id():
    text = FLOW_HEAD + slack("b") + slack("b") + connections(("a", "b"))
    assert problems_of(text) == ["flow.yaml:18: spec.nodes[2].id: duplicate node id 'b' (first used by spec.nodes[1])"]


def test_reserved_node_id():
    text = FLOW_HEAD + slack("event") + connections(("a", "event"))
    assert problems_of(text) == [
        "flow.yaml:13: spec.nodes[1].id: 'event' is reserved for expressions (${event.…}); choose another id"
    ]


def test_missing_agent_with_suggestion():
    text = tutorial().replace(
        "        agent: incident-remediation\n        input: |", "        agent: incident-remedation\n        input: |"
    )
    problems, _ = check(text)
    assert problems == [
        "flow.yaml:115: spec.nodes[remediate].config.agent: unknown agent 'incident-remedation' "
        "(did you mean 'incident-remediation'?)"
    ]


def test_unterminated_interpolation():
    text = FLOW_HEAD + slack("b", '"Title: ${X"') + connections(("a", "b"))
    assert problems_of(text) == [
        "flow.yaml:17: spec.nodes[b].config.message: unterminated '${' (missing '}') at position 7 in 'Title: ${X'"
    ]


def test_unterminated_interpolation_in_tutorial_block_text_names_its_own_line():
    text = tutorial().replace("**Link**: ${INCIDENT_URL}\n", "**Link**: ${INCIDENT_URL\n", 1)
    problems, _ = check(text)
    assert len(problems) == 1
    line = next(i for i, t in enumerate(text.splitlines(), 1) if t.endswith("**Link**: ${INCIDENT_URL"))
    assert line > 54  # inside the block that starts after `message: |` on line 54
    assert problems[0].startswith(f"flow.yaml:{line}: spec.nodes[notify-diagnosis].config.message: unterminated '${{'")


def test_bad_operator_in_node_condition():
    text = FLOW_HEAD + slack("b", extra="      conditions:\n        - from: a\n          when: X === 1\n")
    text += connections(("a", "b"))
    assert problems_of(text) == [
        "flow.yaml:20: spec.nodes[b].conditions[0].when: unexpected '=' (use '==' to compare) at position 4 in "
        "'X === 1'"
    ]


def test_bad_operator_in_conditional_expression():
    text = tutorial().replace(
        'expression: ${diagnose.output.severity} == "critical"', 'expression: ${diagnose.output.severity} = "critical"'
    )
    problems, _ = check(text)
    assert len(problems) == 1
    assert problems[0].startswith(
        "flow.yaml:74: spec.nodes[check-severity].config.conditions[0].expression: unexpected '='"
    )


def test_unknown_output_field_suggests_the_right_one():
    text = FLOW_HEAD + DIAGNOSE + slack("c", '"${diagnose.output.severty}"')
    text += connections(("a", "diagnose"), ("diagnose", "c"))
    assert problems_of(text) == [
        "flow.yaml:21: spec.nodes[c].config.message: 'diagnose' has no output field 'severty' "
        "(did you mean 'severity'?)"
    ]


def test_unknown_node_in_reference_suggests_the_node():
    text = FLOW_HEAD + DIAGNOSE + slack("c", '"${diagnse.output.x}"')
    text += connections(("a", "diagnose"), ("diagnose", "c"))
    assert problems_of(text) == [
        "flow.yaml:21: spec.nodes[c].config.message: unknown reference 'diagnse.output.x': 'diagnse' is not a node, "
        "a variable or event/flow (did you mean 'diagnose'?)"
    ]


def test_unknown_node_record_field():
    text = FLOW_HEAD + slack("b", '"${a.outptu}"') + connections(("a", "b"))
    assert problems_of(text) == [
        "flow.yaml:17: spec.nodes[b].config.message: 'a.outptu' is not a node field (did you mean 'output'?)"
    ]


def test_unknown_flow_field():
    text = FLOW_HEAD + slack("b", '"${flow.duration}"') + connections(("a", "b"))
    assert problems_of(text) == [
        "flow.yaml:17: spec.nodes[b].config.message: unknown flow field 'duration'; known: duration_seconds, name, "
        "run_id, started_at, execution_id"
    ]


def test_unknown_lowercase_variable():
    text = FLOW_HEAD + slack("b", '"${incident_title}"') + connections(("a", "b"))
    assert problems_of(text) == [
        "flow.yaml:17: spec.nodes[b].config.message: unknown reference 'incident_title': 'incident_title' is not "
        "a node, a variable or event/flow"
    ]


def test_misspelt_exported_variable_is_caught():
    # ${INCIDENT_TITEL} must not silently become an environment lookup when the flow exports INCIDENT_TITLE.
    text = tutorial().replace("Original Issue: ${INCIDENT_TITLE}", "Original Issue: ${INCIDENT_TITEL}")
    problems, warnings = check(text)
    found = [m for m in [*problems, *warnings] if "INCIDENT_TITEL" in m]
    assert len(found) == 1, [*problems, *warnings]
    # The line of the typo inside the `input: |` block (137), not the block's key line.
    assert found[0].startswith("flow.yaml:140: spec.nodes[verify-fix].config.input: ")
    assert "did you mean 'INCIDENT_TITLE'?" in found[0]


def test_variable_used_before_the_transform_that_exports_it():
    text = (
        FLOW_HEAD
        + slack("b", '"${Y}"')
        + '    - id: c\n      type: Transform\n      config:\n        script: export Y="2"\n'
    )
    text += connections(("a", "b"), ("b", "c"))
    assert problems_of(text) == [
        "flow.yaml:17: spec.nodes[b].config.message: variable 'Y' is exported by c, which does not run before 'b'"
    ]


def test_node_output_used_before_the_node_runs():
    text = tutorial().replace(
        "Resource: ${K8S_RESOURCE}\n\n          Diagnose", "Resource: ${remediate.output.result}\n\n          Diagnose"
    )
    problems, _ = check(text)
    assert problems == [
        "flow.yaml:44: spec.nodes[diagnose].config.input: 'remediate' does not run before 'diagnose', so its "
        "result is never available there"
    ]


def test_condition_on_unknown_output_of_its_from_node_suggests_the_name():
    text = tutorial().replace("when: is_critical == true OR", "when: is_critcal == true OR")
    problems, _ = check(text)
    assert len(problems) == 1
    assert problems[0].startswith("flow.yaml:100: spec.nodes[request-approval].conditions[0].when: ")
    assert "did you mean 'is_critical'?" in problems[0]


def test_conditions_refuse_defaults_and_environment():
    text = FLOW_HEAD + slack("b", extra="      conditions:\n        - from: a\n          when: ${X:-1} == 1\n")
    text += slack("c", extra="      conditions:\n        - from: a\n          when: ${HOME} == 1\n")
    text += "  connections:\n    - from: a\n      to: [b, c]\n"
    assert problems_of(text) == [
        "flow.yaml:20: spec.nodes[b].conditions[0].when: defaults (':-') are not allowed in conditions",
        "flow.yaml:28: spec.nodes[c].conditions[0].when: 'a' has no output 'HOME'; it has: X",
    ]
