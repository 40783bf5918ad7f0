"""Node handlers through ``run_task`` (the contract the Lambdas and the engine share), with
Slack's Web API and PagerDuty's REST API as local servers and a SQLite store."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.pagerduty_api import FakePagerDutyAPI
from tests.fakes.slack_api import FakeSlackAPI

BOT_TOKEN = "xoxb-nodes-token"
PD_KEY = "nodes-pd-key-secret"
FROM = "oncall@example.com"
ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def slack() -> Iterator[FakeSlackAPI]:
    with FakeSlackAPI(tokens=(BOT_TOKEN,)) as server:
        yield server


@pytest.fixture
def pagerduty() -> Iterator[FakePagerDutyAPI]:
    with FakePagerDutyAPI(api_key=PD_KEY) as server:
        yield server


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Any]:
    from chalicelib.store import open_store

    opened = open_store(f"sqlite:///{tmp_path / 'aof.db'}")
    yield opened
    opened.close()


@pytest.fixture
def make_deps(store: Any) -> Callable[..., Any]:
    """``deps_from_env`` over the test store; each call is a fresh "process" (new clients)."""
    from chalicelib.nodes.deps import deps_from_env

    def make(**env: str) -> Any:
        return deps_from_env(store, {k: v for k, v in env.items() if v}, io.StringIO())

    return make


def slack_env(slack: FakeSlackAPI, **extra: str) -> dict[str, str]:
    return {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_API_URL": slack.api_url, **extra}


def pagerduty_env(pagerduty: FakePagerDutyAPI, **extra: str) -> dict[str, str]:
    return {"PAGERDUTY_API_KEY": PD_KEY, "PAGERDUTY_API_URL": pagerduty.url, "PAGERDUTY_FROM_EMAIL": FROM, **extra}


def tutorial_node(
    node_id: str, flow: str = "incident-auto-response", paths: tuple[str, ...] = ("agents", "flows")
) -> dict[str, Any]:
    """A node of the tutorial's flow as the compiler hands it to its Lambda."""
    from chalicelib.spec import load_resources

    loaded = load_resources([str(ROOT / p) for p in paths]).flows[flow]
    node = loaded.spec.node(node_id)
    return {"id": node.id, "type": node.type, "config": node.config.model_dump(exclude_none=True)}


def payload(node: dict[str, Any], state: dict[str, Any], run: str = "run-1", **extra: Any) -> dict[str, Any]:
    context = {
        "execution_id": f"arn:aws:states:local:000000000000:execution:incident-auto-response:{run}",
        "execution_name": run,
        "started_at": "2026-11-26T10:00:00+00:00",
    }
    return {"node": node, "flow": {"name": "incident-auto-response"}, "state": state, "context": context, **extra}


def incident_state(
    incident_id: str = "TEST001", title: str = "High memory usage on api-deployment", **nodes: Any
) -> dict[str, Any]:
    return {
        "event": {"incident": {"id": incident_id, "title": title}},
        "vars": {
            "INCIDENT_ID": incident_id,
            "INCIDENT_TITLE": title,
            "K8S_NAMESPACE": "production",
            "K8S_RESOURCE": "deployment/api",
        },
        "nodes": dict(nodes),
        "flow": {"name": "incident-auto-response", "run_id": "run-1", "started_at": "2026-11-26T10:00:00+00:00"},
    }
