from __future__ import annotations

import pytest

from chalicelib.agents.loop import run_agent
from chalicelib.agents.memory import InMemoryStore, SQLiteFileMemory
from tests.fakes.anthropic_api import FakeAnthropic, Turn
from tests.unit.agents.conftest import DIAGNOSIS, fenced, options, variant


@pytest.fixture(params=["memory", "sqlite"])
def store(request, tmp_path):
    return InMemoryStore() if request.param == "memory" else SQLiteFileMemory(str(tmp_path / "m.db"))


def test_store_is_bounded_and_keyed_by_agent_and_incident(store):
    for i in range(5):
        store.append("diag", "TEST001", {"role": "user", "content": f"m{i}"}, max_messages=3)
    store.append("diag", "TEST002", {"role": "user", "content": "other"}, max_messages=3)
    store.append("remed", "TEST001", {"role": "user", "content": "elsewhere"}, max_messages=3)
    assert [m["content"] for m in store.recent("diag", "TEST001", 10)] == ["m2", "m3", "m4"]
    assert [m["content"] for m in store.recent("diag", "TEST001", 2)] == ["m3", "m4"]
    assert [m["content"] for m in store.recent("diag", "TEST002", 10)] == ["other"]
    assert store.recent("diag", "TEST003", 10) == []


def test_second_run_for_the_same_incident_sees_the_first(tutorial):
    store = InMemoryStore()
    agent = variant(tutorial["incident-diagnostic"], tools=[])
    with FakeAnthropic(
        [Turn(text=fenced(DIAGNOSIS)), Turn(text=fenced(DIAGNOSIS)), Turn(text=fenced(DIAGNOSIS))]
    ) as fake:
        env = {"ANTHROPIC_API_KEY": "k", "ANTHROPIC_BASE_URL": fake.url}
        run_agent(agent, "Incident: first look", options(env=env, memory=store, memory_key="TEST001"))
        run_agent(agent, "Verify the incident is resolved", options(env=env, memory=store, memory_key="TEST001"))
        run_agent(agent, "Incident: unrelated", options(env=env, memory=store, memory_key="TEST002"))
    second = fake.requests[1]["messages"]
    assert [m["role"] for m in second] == ["user", "assistant", "user"]
    assert second[0]["content"][0]["text"] == "Incident: first look"
    assert '"severity": "high"' in second[1]["content"][0]["text"]
    assert len(fake.requests[2]["messages"]) == 1


def test_sqlite_memory_from_the_yaml_path(tutorial, tmp_path):
    path = tmp_path / "incident-diagnostics.db"
    agent = variant(tutorial["incident-diagnostic"], tools=[], memory={"type": "SQLite", "config": {"path": str(path)}})
    with FakeAnthropic([Turn(text=fenced(DIAGNOSIS))]) as fake:
        opts = options(env={"ANTHROPIC_API_KEY": "k", "ANTHROPIC_BASE_URL": fake.url}, memory_key="TEST001")
        opts.memory = None  # let the agent's own memory block decide
        run_agent(agent, "Incident: x", opts)
    stored = SQLiteFileMemory(str(path)).recent("incident-diagnostic", "TEST001", 10)
    assert [m["role"] for m in stored] == ["user", "assistant"]
