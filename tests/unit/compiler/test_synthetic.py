"""Each layout shape runs for real on moto and on the embedded engine, the same way."""

import pytest

from chalicelib.errors import ServiceError
from chalicelib.spec import load_text
from tests.support.moto_sfn import MotoSfn
from tests.support.scripted import Scripted, definition_of
from tests.support.synthetic_flows import FLOWS
from tests.unit.compiler.test_execution import both, run_engine


def compiled(name: str) -> dict:
    resources = load_text(FLOWS[name], f"{name}.yaml")
    assert not resources.problems, resources.problems
    return definition_of(next(iter(resources.flows.values())))


def state(**event) -> dict:
    return {
        "event": event,
        "vars": {},
        "nodes": {},
        "flow": {"name": "t", "run_id": "r", "started_at": "2026-11-26T10:00:00Z"},
    }


@pytest.mark.parametrize(("choice", "side"), [("left", "left"), ("right", "right")])
def test_diamond_takes_one_side_and_meets_again(choice, side, tmp_path):
    seq, out = both(compiled("diamond"), Scripted, state(choice=choice), tmp_path)
    assert seq == ["start", "pick", side, "meet"]
    assert out["vars"]["DONE"] == side


def test_non_exclusive_fan_out_runs_both_branches_side_by_side_and_merges(tmp_path):
    definition = compiled("fan-out")
    assert definition["States"]["after start"]["Type"] == "Parallel"
    seq, out = run_engine(definition, Scripted(), state(), tmp_path)
    out = out["output"]
    assert seq[0] == "start" and seq[-1] == "join"
    assert sorted(seq[1:-1]) == ["after start", "notify-a", "notify-b"]
    assert out["nodes"]["notify_a"]["status"] == "succeeded"
    assert out["nodes"]["notify_b"]["status"] == "succeeded"
    assert out["nodes"]["start"]["status"] == "succeeded"
    assert out["vars"] == {"X": 1, "JOINED": True}


def test_fan_out_runs_both_branches_on_moto():
    # moto 5.2.5 evaluates ``$[1].nodes`` inside an intrinsic function to a one-element list
    # (Step Functions and the embedded engine give the object), so the merge after the Parallel
    # fails there with States.Runtime; the branches themselves are checked on moto.
    script = Scripted()
    with MotoSfn(script) as sfn:
        execution = sfn.start(sfn.create_state_machine(compiled("fan-out")), state(), name="fan-out")
        sfn.wait_for(execution, timeout=30)
        seq = sfn.state_sequence(execution)
    assert seq[:2] == ["start", "after start"]
    assert sorted(seq[2:4]) == ["notify-a", "notify-b"]
    branch_inputs = {node: payload["state"] for node, payload in script.payloads if node.startswith("notify")}
    # Each branch got the whole state, with the exports of the node before the fork.
    assert branch_inputs["notify-a"]["vars"] == {"X": 1} == branch_inputs["notify-b"]["vars"]


@pytest.mark.parametrize(("go", "side", "other"), [("yes", "go_yes", "go_no"), ("no", "go_no", "go_yes")])
def test_a_diamond_inside_a_parallel_branch_meets_inside_the_branch(go, side, other, tmp_path):
    definition = compiled("nested")
    seq, out = run_engine(definition, Scripted(), state(go=go, deadline="2020-01-01T00:00:00Z"), tmp_path)
    assert out["status"] == "SUCCEEDED"
    nodes = out["output"]["nodes"]
    for ran in ("start", "notify_a", side, "inner_meet", "join"):
        assert nodes[ran]["status"] == "succeeded", ran
    assert other not in nodes
    assert seq.count("inner-meet") == 1 and "pause" in seq
    assert seq[-1] == "join"


def test_a_diamond_inside_a_parallel_branch_skips_when_no_side_holds(tmp_path):
    definition = compiled("nested")
    # event.go missing: neither side of "pick" holds; both are recorded as skipped inside the branch.
    _, out = run_engine(definition, Scripted(), state(deadline="2020-01-01T00:00:00Z"), tmp_path)
    nodes = out["output"]["nodes"]
    assert nodes["go_yes"]["skipped"] is True and nodes["go_no"]["skipped"] is True
    assert "no branch after 'pick'" in nodes["go_yes"]["reason"]
    assert nodes["join"]["status"] == "succeeded"


def test_wait_until_reads_the_timestamp_from_the_event(tmp_path):
    branch = compiled("nested")["States"]["after start"]["Branches"][0]["States"]
    assert branch["pause"]["TimestampPath"] == "$.event.deadline"


def test_false_condition_skips_the_node_and_what_only_it_leads_to(tmp_path):
    seq, out = both(compiled("skip-chain"), Scripted, state(go="no"), tmp_path)
    assert seq == ["start", "gated?", "skip gated", "skip gated: record"]
    assert out["nodes"]["gated"]["skipped"] is True
    assert out["nodes"]["gated"]["reason"] == "conditions of 'gated' did not hold"
    assert out["nodes"]["after_gated"]["reason"] == "'gated' was skipped"


def test_true_condition_runs_the_chain(tmp_path):
    seq, _ = both(compiled("skip-chain"), Scripted, state(go="yes"), tmp_path)
    assert seq == ["start", "gated?", "gated", "after-gated"]


def test_node_failure_is_recorded_and_escalated_before_the_run_fails(tmp_path):
    def script():
        return Scripted(fail={"call": ServiceError("POST https://example.com/hook answered 400")})

    scripts: list[Scripted] = []

    def make() -> Scripted:
        scripts.append(script())
        return scripts[-1]

    seq, out = both(compiled("failure"), make, state(), tmp_path)
    assert seq == ["start", "call", "flow failed", "Failed"]
    assert out == {}  # a failed execution has no output
    for ran in scripts:  # moto, then the embedded engine
        assert [node for node, _ in ran.payloads] == ["start", "call", "lifecycle:node_failed"]
        recorded = ran.payloads[-1][1]["state"]["nodes"]["call"]
        assert recorded["Error"] == "ServiceError"
        assert "answered 400" in recorded["Cause"]
        assert "after" not in ran.calls
