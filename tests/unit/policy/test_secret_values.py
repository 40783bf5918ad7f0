"""The sandbox serves Secrets as a cluster does (values base64 under ``data``); an agent can list
them and see their sizes, and no command it runs puts a value, clear or encoded, into the
conversation with its model."""

from __future__ import annotations

import base64
import json
from typing import Any

import yaml

from chalicelib.store import Store
from tests.fakes.openai_api import FakeOpenAI, Turn, tool_messages

from .conftest import FAST, new_run, run_node, state_for
from .hostile import KUBECTL
from .test_hostile_commands import FINAL, agent_with_both_tools

PASSWORD = "s3cr3t-pg-password-4711"
P = "-n production"

READS_THAT_PRINT_VALUES = [(label, cmd) for label, cmd in KUBECTL if "secret" in label or label == "raw API"]
ALLOWED = [
    ("list secrets", f"get secrets {P}"),
    ("describe a secret", f"describe secret db {P}"),
    ("a secret by name", f"get secret db {P} -o name"),
]
MORE = [
    ("secret as yaml by name", f"get secret db {P} -o yaml"),
    ("secret in a list of kinds", f"get cm,secret {P} -o json"),
    ("env resolved from the secret", f"set env deployment/api --list --resolve {P}"),
    ("a deployment's env", f"get deployment api {P} -o yaml"),
    ("describe the pods", f"describe pods -l app=api {P}"),
]


def _setup(sb: Any) -> None:
    """A Secret ``db`` that the api Deployment reads its password from."""
    path = f"{sb.workdir}/db.yaml"
    with open(path, "w") as f:
        yaml.safe_dump(
            {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db"}, "stringData": {"password": PASSWORD}}, f
        )
    assert sb.kubectl("apply", "-n", "production", "-f", path).returncode == 0
    env = [{"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}}]
    patch = {"spec": {"template": {"spec": {"containers": [{"name": "api", "env": env}]}}}}
    out = sb.kubectl("patch", "deployment", "api", "-n", "production", "-p", json.dumps(patch))
    assert out.returncode == 0, out.stderr


def test_no_agent_command_returns_a_secret_value(sandbox_factory: Any, store: Store) -> None:
    sb = sandbox_factory("test001-high-memory", speed=FAST)
    _setup(sb)
    # The product's own code (and kubectl outside the agents) reads the value as stored.
    raw = json.loads(sb.kubectl("get", "secret", "db", "-n", "production", "-o", "json").stdout)
    assert base64.b64decode(raw["data"]["password"]).decode() == PASSWORD

    commands = [*READS_THAT_PRINT_VALUES, *MORE, *ALLOWED]
    calls = [("shell", {"command": "kubectl " + cmd}) for _, cmd in commands]
    calls += [
        ("kubernetes", {"operation": "get", "kind": "secrets", "namespace": "production"}),
        ("kubernetes", {"operation": "describe", "kind": "secret", "name": "db", "namespace": "production"}),
    ]
    run = new_run(store, sb)
    with FakeOpenAI([Turn(tool_calls=calls), FINAL]) as fake:
        env = {"OPENAI_API_KEY": "sk-test", "OPENAI_BASE_URL": f"{fake.url}/v1"}
        run_node(sb, store, agent_with_both_tools(), "Look.", state_for(sb, "low"), run_id=run, env=env)

    results = tool_messages(fake.requests[-1])
    assert len(results) == len(calls)
    encoded = base64.b64encode(PASSWORD.encode()).decode()
    conversation = json.dumps(fake.requests)
    assert PASSWORD not in conversation and encoded not in conversation
    by_label = {label: str(m.get("content")) for (label, _), m in zip(commands, results[: len(commands)], strict=True)}
    # What is allowed works on the Secret that exists: its name, its keys and sizes.
    assert "db" in by_label["list secrets"] and "Opaque" in by_label["list secrets"]
    assert f"password:  {len(PASSWORD)} bytes" in by_label["describe a secret"]
    assert "secret/db" in by_label["a secret by name"]
    # A pod's description names where the value comes from, not the value.
    assert "<set to the key 'password' in secret 'db'>" in by_label["describe the pods"]
