"""One table of node types: the compiler, the Lambdas, the engine's dispatch and the docs agree with it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from chalicelib.compiler import compile_flow
from chalicelib.engine.invoker import short_name
from chalicelib.nodes import registry
from chalicelib.nodes.dispatch import FUNCTIONS, PLACEHOLDER_FUNCTIONS
from chalicelib.spec import load_resources

ROOT = Path(__file__).resolve().parents[3]
#: The app's functions that run no node: the API, the outcome recorder, the daily report.
NOT_NODES = {"api_handler", "execution_finished", "post_incident_daily"}


def _tasks(states: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for state in states.values():
        if state.get("Type") == "Task":
            yield state
        for branch in state.get("Branches", []):
            yield from _tasks(branch["States"])


@pytest.mark.parametrize("folder", ["flows", "examples/production"])
def test_every_compiled_task_invokes_the_function_the_registry_names_for_its_node_type(folder: str) -> None:
    resources = load_resources([str(ROOT / "agents"), str(ROOT / folder)])
    seen: set[str] = set()
    for flow in resources.flows.values():
        for state in _tasks(compile_flow(flow, resources.agents)["States"]):
            placeholder = state["Parameters"]["FunctionName"].removeprefix("${").removesuffix("}")
            kind = registry.BY_PLACEHOLDER[placeholder]
            node = state["Parameters"]["Payload"].get("node")
            if node is not None:
                expected = "Approval" if "task_token.$" in state["Parameters"]["Payload"] else node["type"]
                assert kind.type == expected, state["Comment"]
            else:
                assert kind.type == "Lifecycle"
            seen.add(kind.type)
    assert {"Transform", "Agent", "Lifecycle"} <= seen


def test_the_app_declares_one_lambda_per_registered_node_type_and_no_other_node_function() -> None:
    from app import app

    declared = {function.name for function in app.pure_lambda_functions}
    handlers = {handler.name for handler in app.event_sources}
    assert declared - NOT_NODES == set(FUNCTIONS.values()) == {k.function for k in registry.NODE_KINDS}
    assert handlers - NOT_NODES == set()


def test_every_stage_configures_only_functions_the_app_has() -> None:
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    for stage in config["stages"].values():
        assert set(stage.get("lambda_functions", {})) <= set(FUNCTIONS.values()) | NOT_NODES


@pytest.mark.parametrize("kind", registry.NODE_KINDS, ids=lambda k: k.type)
def test_the_engine_and_a_lambda_reach_the_same_handler_by_any_spelling_of_the_function(
    kind: registry.NodeKind,
) -> None:
    deployed = f"aof-incident-response-dev-{kind.function}"
    for spelling in (
        kind.function,
        deployed,
        f"arn:aws:lambda:us-east-1:123456789012:function:{deployed}",
        f"arn:aws:lambda:us-east-1:123456789012:function:{deployed}:live",
    ):
        assert registry.kind_of_function(short_name(spelling)) is kind
        assert registry.kind_of_function(spelling) is kind
    assert PLACEHOLDER_FUNCTIONS[kind.placeholder] == kind.function


def test_an_unknown_function_has_no_handler() -> None:
    assert registry.kind_of_function("wait_node") is None
    assert registry.kind_of_function("arn:aws:lambda:us-east-1:1:function:aof-dev-notify") is None


def test_the_docs_table_is_the_registry() -> None:
    text = (ROOT / "docs" / "nodes.md").read_text()
    assert registry.docs_table() in text
