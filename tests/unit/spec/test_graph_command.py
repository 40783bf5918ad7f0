"""``aofctl graph``: -o json gives the graph as data; every edge label is the condition as written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from chalicelib.cli.main import main

FLOW_FILE = Path(__file__).resolve().parents[3] / "flows" / "incident-response-flow.yaml"


def written_conditions() -> list[tuple[str, str, str]]:
    """(from, to, when) straight from the YAML file."""
    document = yaml.safe_load(FLOW_FILE.read_text())
    return [
        (c["from"], node["id"], str(c["when"]).lower() if isinstance(c["when"], bool) else c["when"])
        for node in document["spec"]["nodes"]
        for c in node.get("conditions") or []
    ]


def test_graph_json_has_every_node_and_every_condition_whole(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["graph", "incident-auto-response", "-o", "json", "-f", "agents", "-f", "flows"]) == 0
    graph = json.loads(capsys.readouterr().out)
    document = yaml.safe_load(FLOW_FILE.read_text())
    assert [n["id"] for n in graph["nodes"]] == [n["id"] for n in document["spec"]["nodes"]]
    gated = {(e["from"], e["to"], e["when"]) for e in graph["edges"] if e["when"]}
    # Each gated edge carries its condition whole, as written (a condition on a node that no
    # connection reaches from its `from` draws no edge).
    assert gated and gated <= set(written_conditions())
    assert ("remediation-failed", "rollback", "true") in gated
    assert {"from": "check-severity", "to": "request-approval"}.items() <= next(
        e for e in graph["edges"] if e["to"] == "request-approval"
    ).items()


def test_mermaid_edge_labels_are_not_cut(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["graph", "incident-auto-response"]) == 0
    chart = capsys.readouterr().out
    longest = max((when for _a, _b, when in written_conditions()), key=len)
    assert len(longest) > 40
    assert f'|"{longest.replace(chr(34), "#quot;")}"|' in chart


def test_graph_of_an_unknown_flow_says_which_was_meant(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["graph", "incident-auto-respons", "-o", "json"]) == 1
    assert "(did you mean 'incident-auto-response'?)" in capsys.readouterr().err
