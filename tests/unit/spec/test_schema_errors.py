"""Mistakes in one resource: each reported with file, line, path and the closest valid name."""

from __future__ import annotations

import pytest

from .support import FLOW_HEAD, TUTORIAL_FLOW, check, problems_of

AGENT = """\
apiVersion: aof.dev/v1
kind: Agent
metadata:
  name: x
spec:
  model: anthropic:claude-3-5-sonnet-20241022
  instructions: hi
"""

CONNECT_A_B = """\
  connections:
    - from: a
      to: b
"""


def test_unknown_field_in_metadata():
    text = AGENT.replace("  name: x\n", "  name: x\n  lables: {team: sre}\n")
    assert problems_of(text) == ["flow.yaml:5: metadata.lables: unknown field 'lables' (did you mean 'labels'?)"]


def test_unknown_field_in_agent_spec():
    text = AGENT + "  toolz: []\n"
    assert problems_of(text) == ["flow.yaml:8: spec.toolz: unknown field 'toolz' (did you mean 'tools'?)"]


def test_unknown_field_in_model_config():
    text = AGENT + "  model_config:\n    temprature: 0.2\n"
    assert problems_of(text) == [
        "flow.yaml:9: spec.model_config.temprature: unknown field 'temprature' (did you mean 'temperature'?)"
    ]


def test_unknown_field_in_tool_config():
    text = AGENT + "  tools:\n    - type: Shell\n      config:\n        allowed_command: [kubectl]\n"
    problems = problems_of(text)
    assert (
        "flow.yaml:11: spec.tools[0].config.allowed_command: unknown field 'allowed_command' "
        "(did you mean 'allowed_commands'?)"
    ) in problems


def test_unknown_tool_type():
    text = AGENT + "  tools:\n    - type: Kubernetse\n"
    assert problems_of(text) == ["flow.yaml:9: spec.tools[0]: unknown tool type 'Kubernetse' (did you mean 'Kubernetes'?)"]


def test_unknown_field_in_node_config():
    text = (
        FLOW_HEAD
        + "    - id: b\n      type: Slack\n      config:\n        channel: c\n        mesage: hi\n"
        + CONNECT_A_B
    )
    problems = problems_of(text)
    assert "flow.yaml:17: spec.nodes[b].config.mesage: unknown field 'mesage' (did you mean 'message'?)" in problems


def test_unknown_field_in_tutorial_node_config_names_its_line():
    text = TUTORIAL_FLOW.read_text(encoding="utf-8").replace(
        "        wait_for_reaction: true", "        wait_for_reactions: true"
    )
    problems, _ = check(text)
    assert problems == [
        "flow.yaml:96: spec.nodes[request-approval].config.wait_for_reactions: unknown field "
        "'wait_for_reactions' (did you mean 'wait_for_reaction'?)"
    ]


def test_unknown_node_type():
    text = FLOW_HEAD + "    - id: b\n      type: Slak\n      config:\n        channel: c\n" + CONNECT_A_B
    assert problems_of(text) == ["flow.yaml:14: spec.nodes[b]: unknown node type 'Slak' (did you mean 'Slack'?)"]


def test_unknown_field_in_trigger_config():
    text = FLOW_HEAD.replace("    type: Manual\n", "    type: Schedule\n    config:\n      schedul: rate(1 day)\n")
    problems = problems_of(text)
    assert "flow.yaml:9: spec.trigger.config.schedul: unknown field 'schedul' (did you mean 'schedule'?)" in problems


def test_unknown_field_in_trigger():
    text = FLOW_HEAD.replace("    type: Manual\n", "    type: Manual\n    confg: {}\n")
    assert problems_of(text) == ["flow.yaml:8: spec.trigger.confg: unknown field 'confg' (did you mean 'config'?)"]


def test_unknown_trigger_type():
    text = FLOW_HEAD.replace("    type: Manual\n", "    type: Webhok\n")
    assert problems_of(text) == ["flow.yaml:7: spec.trigger: unknown trigger type 'Webhok' (did you mean 'Webhook'?)"]


def test_unknown_kind_with_suggestion():
    text = AGENT.replace("kind: Agent", "kind: AgentFlo")
    assert problems_of(text) == ["flow.yaml:2: kind: unknown kind 'AgentFlo' (did you mean 'AgentFlow'?)"]


def test_unknown_kind_without_a_close_match_lists_the_kinds():
    text = AGENT.replace("kind: Agent", "kind: Deployment")
    assert problems_of(text) == ["flow.yaml:2: kind: unknown kind 'Deployment'; expected one of Agent, AgentFlow"]


def test_duplicate_key_names_both_lines():
    text = AGENT + "  model: openai:gpt-4\n"
    assert problems_of(text) == [
        "flow.yaml:8: duplicate key 'model' (first defined at line 6); YAML would silently keep only the last one"
    ]


def test_duplicate_key_in_tutorial_flow_is_an_error_not_a_warning():
    text = TUTORIAL_FLOW.read_text(encoding="utf-8").replace(
        "        timeout_seconds: 600  # 10 minutes\n",
        "        timeout_seconds: 600  # 10 minutes\n        channel: '#ops'\n",
    )
    problems, warnings = check(text)
    assert problems == [
        "flow.yaml:98: duplicate key 'channel' (first defined at line 82); YAML would silently keep only the last one"
    ]
    assert len(warnings) == 2  # only the tutorial's repeated 'to:'


@pytest.mark.parametrize(
    ("model", "message"),
    [
        (
            "claude-3-5-sonnet",
            "model must be written 'provider:model' (e.g. anthropic:claude-3-5-sonnet), got 'claude-3-5-sonnet'",
        ),
        ("'anthropic:'", "model must be written 'provider:model' (e.g. anthropic:claude-3-5-sonnet), got 'anthropic:'"),
        ("gemini:pro", "unknown model provider 'gemini'; expected one of anthropic, openai, builtin"),
    ],
)
def test_model_must_be_provider_colon_model(model, message):
    text = AGENT.replace("  model: anthropic:claude-3-5-sonnet-20241022", f"  model: {model}")
    assert problems_of(text) == [f"flow.yaml:6: spec.model: {message}"]


def test_fallback_model_is_checked_too():
    text = AGENT + "  fallback_model: builtin\n"
    assert problems_of(text) == [
        "flow.yaml:8: spec.fallback_model: model must be written 'provider:model' "
        "(e.g. anthropic:claude-3-5-sonnet), got 'builtin'"
    ]


CONDITIONAL = """\
    - id: b
      type: Conditional
      config:
{config}
"""


@pytest.mark.parametrize(
    "config",
    [
        '        condition: ${X} == "1"\n'
        '        conditions:\n          - name: one\n            expression: ${X} == "1"',
        "        {}",
    ],
    ids=["both", "neither"],
)
def test_conditional_needs_exactly_one_of_condition_and_conditions(config):
    text = FLOW_HEAD + CONDITIONAL.format(config=config) + CONNECT_A_B
    assert problems_of(text) == [
        "flow.yaml:15: spec.nodes[b].config: a Conditional node needs exactly one of 'conditions' (named) or "
        "'condition'"
    ]


@pytest.mark.parametrize(
    ("text", "where", "message", "quoted"),
    [
        (
            "apiVersion: aof.dev/v1\nkind: Agent\nmetadata:\n  name: x\n   bad: y\n",
            "5:7",
            "this line is indented deeper than the key above it",
            "       bad: y\n          ^",
        ),
        (
            "apiVersion: aof.dev/v1\nkind: Agent\n\tmetadata: {}\n",
            "3:1",
            "a tab character: indent YAML with spaces, not tabs",
            "    →metadata: {}\n    ^",
        ),
        (
            "apiVersion: aof.dev/v1\nkind: Agent\nmetadata:\n  name: x\nspec:\n  instructions: |\n"
            "    first\n    second\n  fell out of the block\n",
            "9:3",
            "if it belongs to a '|' block above, indent it more than the key that opens the block",
            "      fell out of the block\n      ^",
        ),
    ],
    ids=["indentation", "tab", "line-out-of-a-block"],
)
def test_invalid_yaml_names_line_and_column_in_our_words(text, where, message, quoted):
    (problem,) = problems_of(text)
    assert problem.startswith(f"flow.yaml:{where}: invalid YAML: ")
    assert message in problem and problem.endswith(quoted)
    assert "cannot start any token" not in problem and "could not find expected" not in problem


def test_a_document_that_is_not_a_mapping():
    assert problems_of("---\n- a\n- b\n") == ["flow.yaml:2: a resource must be a mapping"]
