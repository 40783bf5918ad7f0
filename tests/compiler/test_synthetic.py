"""Each layout shape runs for real on moto and on the embedded engine, the same way."""

import pytest

from chalicelib.errors import ServiceError
from chalicelib.spec import load_text
from tests.compiler.scripted import Scripted, definition_of
from tests.compiler.synthetic_flows import FLOWS
from tests.compiler.test_execution import both, run_engine


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
    # moto 5.2.5 evaluates ``$[1].nodes`` to a one-element list (Step Functions gives the
    # object), so the merge of branch records is checked on the embedded engine only.
    seq, out = run_engine(definition, Scripted(), state(), tmp_path)
    out = out["output"]
    assert seq[0] == "start" and seq[-1] == "join"
    assert sorted(seq[1:-1]) == ["after start", "notify-a", "notify-b"]
    assert out["nodes"]["notify_a"]["status"] == "succeeded"
    assert out["nodes"]["notify_b"]["status"] == "succeeded"
    assert out["vars"]["JOINED"] is True


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

    seq, out = both(compiled("failure"), script, state(), tmp_path)
    assert seq == ["start", "call", "flow failed", "Failed"]
    assert out == {}
