"""State statuses as the console shows them, read from a real execution history of the
embedded engine, and the graph they colour."""

from __future__ import annotations

import re
import threading
import time
from pathlib import Path
from typing import Any

from chalicelib.console.graph import svg
from chalicelib.console.status import state_runs
from chalicelib.engine.engine import Engine
from chalicelib.engine.invoker import FunctionInvoker

FN = "arn:aws:lambda:us-east-1:123456789012:function:{}"


class Broken(Exception):
    pass


def definition() -> dict[str, Any]:
    def task(function: str, nxt: str | None, **extra: Any) -> dict[str, Any]:
        state: dict[str, Any] = {
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": FN.format(function), "Payload.$": "$"},
            "ResultPath": f"$.{function}",
            **extra,
        }
        state.update({"Next": nxt} if nxt else {"End": True})
        return state

    wait = task("ask", "done", Catch=[{"ErrorEquals": ["States.Timeout"], "Next": "done"}])
    wait["Resource"] = "arn:aws:states:::lambda:invoke.waitForTaskToken"
    wait["Parameters"] = {"FunctionName": FN.format("ask"), "Payload": {"token.$": "$$.Task.Token"}}
    return {
        "StartAt": "first",
        "States": {
            "first": task("first", "breaks"),
            "breaks": task("breaks", "never", Catch=[{"ErrorEquals": ["States.ALL"], "Next": "handler"}]),
            "never": task("never", "done"),
            "handler": task("handler", "ask <b>"),
            "ask <b>": wait,
            "done": {"Type": "Pass", "End": True},
        },
    }


def test_statuses_follow_the_history_succeeded_caught_waiting_then_failed(tmp_path: Path) -> None:
    tokens: list[str] = []
    seen = threading.Event()

    def dispatch(function: str, payload: dict[str, Any]) -> Any:
        if function == "breaks":
            raise Broken("the disk is full")
        if function == "ask":
            tokens.append(payload["token"])
            seen.set()
        return {"ok": function}

    engine = Engine(tmp_path / "engine.db", FunctionInvoker(dispatch), max_workers=1)
    try:
        engine.register_state_machine("m", definition())
        engine.start()
        execution = engine.start_execution("m", name="r1", input={"incident": "TEST002"})
        assert seen.wait(30)
        deadline = time.monotonic() + 30
        while "TaskSubmitted" not in {e["type"] for e in engine.history(execution)}:
            assert time.monotonic() < deadline, "the approval task never waited"
            time.sleep(0.05)
        runs = state_runs(engine.history(execution))
        assert {n: r.status for n, r in runs.items()} == {
            "first": "succeeded",
            "breaks": "caught",
            "handler": "succeeded",
            "ask <b>": "waiting",
        }
        assert runs["breaks"].error == "Broken" and "the disk is full" in str(runs["breaks"].cause)
        assert runs["first"].attempts == 1 and runs["first"].input == {"incident": "TEST002"}
        assert runs["first"].output["first"]["Payload"] == {"ok": "first"}

        engine.send_task_failure(tokens[0], error="Refused", cause="nobody")
        engine.wait_for(execution, timeout=30)
        after = state_runs(engine.history(execution))
        assert (after["ask <b>"].status, after["ask <b>"].error) == ("failed", "Refused")
        assert "done" not in after and "never" not in after
    finally:
        engine.close()


def test_the_graph_draws_every_state_once_with_its_status_and_escapes_names() -> None:
    drawn = svg(definition(), {"first": "succeeded", "breaks": "caught", "ask <b>": "waiting"})
    states = re.findall(r'<g class="state"[^>]*data-state="([^"]*)"[^>]*data-status="([^"]*)"', drawn)
    assert dict(states) == {
        "first": "succeeded",
        "breaks": "caught",
        "never": "not-started",
        "handler": "not-started",
        "ask &lt;b&gt;": "waiting",
        "done": "not-started",
    }
    assert "<b>" not in drawn
    edges = set(re.findall(r'<path class="edge (\w+)"[^>]*data-from="([^"]*)" data-to="([^"]*)"', drawn))
    assert ("catch", "breaks", "handler") in edges and ("next", "first", "breaks") in edges
    assert ("catch", "ask &lt;b&gt;", "done") in edges


def test_the_tutorial_flow_is_drawn_top_down_from_its_start() -> None:
    from chalicelib.compiler import compile_flow
    from chalicelib.console.graph import layout
    from chalicelib.spec import load_resources

    root = Path(__file__).resolve().parents[3]
    resources = load_resources([str(root / "agents"), str(root / "flows")])
    asl = compile_flow(resources.flows["incident-auto-response"], resources.agents)
    placed = layout(asl)
    assert set(placed.positions) == set(asl["States"])
    y = {name: pos[1] for name, pos in placed.positions.items()}
    # The tutorial flow has no loop: everything a state leads to is drawn below it.
    for edge in placed.edges:
        assert y[edge.target] > y[edge.source], edge
    assert y["parse-alert"] == min(y.values())
