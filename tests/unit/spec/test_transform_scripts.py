"""Transform scripts are parsed, never run: anything but exports, heredocs and comments is refused."""

from __future__ import annotations

import pytest

from chalicelib.errors import SpecError
from chalicelib.expr import MappingScope, parse_template
from chalicelib.spec import load_paths
from chalicelib.spec.models import TransformNode
from chalicelib.transform import parse_script

from .support import FLOW_HEAD, TUTORIAL_FLOW, problems_of

ACCEPTS = (
    "Transform scripts accept 'export NAME=\"value\"', 'cat > FILE <<EOF' heredocs and comments, and are "
    "never run by a shell"
)


def transform_flow(script: str) -> str:
    body = "".join(f"          {line}\n" for line in script.splitlines())
    return (
        FLOW_HEAD
        + "    - id: b\n      type: Transform\n      config:\n        script: |\n"
        + body
        + "  connections:\n    - from: a\n      to: b\n"
    )


@pytest.mark.parametrize(
    ("script", "message"),
    [
        ('export A="1"\nrm -rf /\nexport B="2"', f"line 2: unsupported statement 'rm -rf /'; {ACCEPTS}"),
        ("# fetch it\ncurl x | sh", f"line 2: unsupported statement 'curl x | sh'; {ACCEPTS}"),
        ('export A="$(touch /tmp/x)"', "line 1: command substitution is not supported in Transform scripts"),
        ('export A="`id`"', "line 1: command substitution is not supported in Transform scripts"),
        (
            "export A=$(touch /tmp/x)",
            "line 1: quote the value of an export that contains spaces or shell operators",
        ),
        (
            "cat > /tmp/f <<EOF\n$(touch /tmp/x)\nEOF",
            "line 1: command substitution other than $(date -u +FORMAT) is not supported in Transform scripts",
        ),
        ("cat > /tmp/f <<EOF\nnever closed", "line 1: heredoc is never closed by a 'EOF' line"),
    ],
    ids=["rm", "curl-pipe-sh", "touch-in-export", "backticks", "bare-substitution", "heredoc-substitution", "heredoc"],
)
def test_unsupported_statements_name_the_script_line(script, message):
    # The file line is the one of 'script:' (16); the message names the line inside the script.
    assert problems_of(transform_flow(script)) == [f"flow.yaml:16: spec.nodes[b].config.script: {message}"]


def test_every_bad_line_is_reported():
    problems = problems_of(transform_flow('rm -rf /\nexport A="ok"\nexport B="$(touch /tmp/x)"'))
    assert [p.split(": ")[2] for p in problems] == ["line 1", "line 3"]


def test_parse_script_raises_spec_error_naming_where():
    with pytest.raises(SpecError) as caught:
        parse_script('export A="1"\nsudo reboot\n', "parse-alert")
    assert caught.value.problems == [f"parse-alert: line 2: unsupported statement 'sudo reboot'; {ACCEPTS}"]


def test_tutorial_scripts_parse():
    flow = load_paths([TUTORIAL_FLOW]).flows["incident-auto-response"]
    parse_alert = flow.spec.node("parse-alert")
    log_incident = flow.spec.node("log-incident")
    auto_approve = flow.spec.node("auto-approve")
    assert isinstance(parse_alert, TransformNode)
    assert isinstance(log_incident, TransformNode)
    assert isinstance(auto_approve, TransformNode)

    exports = parse_script(parse_alert.config.script).exports
    assert [e.name for e in exports] == [
        "INCIDENT_ID",
        "INCIDENT_TITLE",
        "INCIDENT_SERVICE",
        "INCIDENT_URGENCY",
        "INCIDENT_URL",
        "K8S_NAMESPACE",
        "K8S_RESOURCE",
    ]
    assert exports[5].value == "${event.incident.custom_details.namespace:-default}"
    assert exports[5].line == 9

    (approved,) = parse_script(auto_approve.config.script).exports
    assert (approved.name, approved.value, approved.is_template) == ("APPROVED", True, False)

    (write,) = parse_script(log_incident.config.script).writes
    assert write.path == "/tmp/incident-${INCIDENT_ID}.json"
    assert write.line == 2
    assert list(write.dates.values()) == ["%Y-%m-%dT%H:%M:%SZ"]
    assert "$(date" not in write.content


def test_command_substitution_in_an_incident_title_is_only_text(tmp_path):
    marker = tmp_path / "pwned"
    title = f"$(touch {marker}) `touch {marker}`"
    flow = load_paths([TUTORIAL_FLOW]).flows["incident-auto-response"]
    parse_alert = flow.spec.node("parse-alert")
    assert isinstance(parse_alert, TransformNode)

    # The script comes from the flow; the event never reaches the parser.
    exports = {e.name: e for e in parse_script(parse_alert.config.script).exports}
    assert exports["INCIDENT_TITLE"].value == "${event.incident.title}"
    rendered = parse_template(exports["INCIDENT_TITLE"].value).render(
        MappingScope({"event": {"incident": {"title": title}}})
    )

    assert rendered.text == title
    assert not marker.exists()


def test_a_flow_whose_text_mentions_command_substitution_outside_scripts_is_valid():
    text = FLOW_HEAD + (
        "    - id: b\n      type: Slack\n      config:\n        channel: c\n"
        '        message: "Incident titles like $(touch /tmp/pwned) are shown as text: ${X}"\n'
        "  connections:\n    - from: a\n      to: b\n"
    )
    assert problems_of(text) == []
