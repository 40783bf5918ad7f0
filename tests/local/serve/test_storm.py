"""An incident storm must not become a remediation storm: 200 incidents at once to aofctl serve."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from chalicelib.engine.engine import execution_arn
from chalicelib.engine.events import to_history
from chalicelib.engine.store import EngineStore
from chalicelib.store import open_store
from tests.local.serve.conftest import ROOT, TOKEN, wait_until

STORM_FLOW = """apiVersion: aof.dev/v1
kind: AgentFlow
metadata:
  name: storm
spec:
  trigger:
    type: Webhook
    config:
      path: /pagerduty/webhook
      auth: {type: Bearer, token: "${PAGERDUTY_WEBHOOK_TOKEN}"}
  rate_limit: {max_concurrent: 3, queue_size: 10, timeout_seconds: 600}
  nodes:
    - id: parse-alert
      type: Transform
      config:
        script: export INCIDENT_ID="${event.incident.id}"
    - id: act
      type: Wait
      config:
        seconds: 1
    - id: tell
      type: Slack
      config:
        channel: "#incidents"
        message: "handled ${INCIDENT_ID}"
  connections:
    - from: parse-alert
      to: act
    - from: act
      to: tell
"""


def test_200_incidents_at_once_are_all_recorded_few_act_the_rest_go_to_humans(tmp_path, servers, serve_env):
    flows = tmp_path / "flows"
    flows.mkdir()
    (flows / "storm.yaml").write_text(STORM_FLOW)
    state = tmp_path / "state"
    env = serve_env({**__import__("os").environ, "AOF_WEBHOOK_FLOW": "storm"})
    server = servers(state, env, ("-f", str(ROOT / "agents"), "-f", str(flows)))

    def send(i: int) -> tuple[int, dict]:
        body = json.dumps({"event": {"incident": {"id": f"STORM{i:03d}", "title": f"storm {i}", "urgency": "high"}}})
        return server.post(
            "/pagerduty/webhook",
            body.encode(),
            {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
        )

    with ThreadPoolExecutor(max_workers=40) as pool:
        answers = list(pool.map(send, range(200)))
    assert [status for status, _ in answers].count(202) == 200
    run_ids = {answer["run_id"] for _, answer in answers}
    assert len(run_ids) == 200, "no duplicates"

    store = open_store(f"sqlite:///{state / 'aof.db'}")
    try:

        def all_finished() -> bool:
            runs = store.runs.list_runs(flow="storm", limit=1000)
            return len(runs) == 200 and all(r.outcome is not None for r in runs)

        wait_until(all_finished, timeout=180, what="every storm run to end")
        runs = store.runs.list_runs(flow="storm", limit=1000)
        assert {r.run_id for r in runs} == run_ids, "nothing lost"
        # Admitted runs got an execution; the overflow was recorded and escalated without one.
        escalated = [r for r in runs if not r.execution_arn]
        handled = [r for r in runs if r.execution_arn]
        assert all(r.outcome == "escalated" for r in escalated)
        assert len(escalated) >= 200 - 3 - 10 - 10, "the overflow went straight to humans"
        assert 3 <= len(handled) <= 3 + 10 + 10
        for run in escalated:
            assert any(e.type == "Escalated" for e in store.runs.events(run.run_id))
    finally:
        store.close()

    # Peak concurrency, from the engine's own history of the executions that ran.
    engine = EngineStore(state / "engine.db")
    try:
        spans = []
        for run in handled:
            history = to_history(engine.events(execution_arn("storm", run.run_id)))
            started = [e["timestamp"] for e in history if e["type"] == "ExecutionStarted"]
            ended = [
                e["timestamp"] for e in history if e["type"].startswith("Execution") and e["type"] != "ExecutionStarted"
            ]
            if started and ended:
                spans.append((started[0], ended[-1]))
    finally:
        engine.close()
    assert spans
    peak = max(sum(1 for s, e in spans if s <= t < e) for t, _ in spans)
    assert peak <= 3, f"{peak} runs acted at once"
    assert Path(state / "aof.db").exists()
