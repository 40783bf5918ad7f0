"""Where the HTTP node and the agents' HTTP tool may connect: never to metadata, link-local,
loopback, private or other internal addresses in any spelling, checked after resolution and on
every redirect, unless the flow's allowlist names the host; and always to the address that was
checked. Local servers on 127.0.0.1 stand in for internal services."""

from __future__ import annotations

import textwrap
from typing import Any

import pytest

from chalicelib.agents.tools.http import HTTPConfig, HTTPTool
from chalicelib.errors import AofError, SpecError, ToolRefused
from chalicelib.nodes.dispatch import run_task
from tests.unit.nodes.conftest import incident_state, payload

INTERNAL_SPELLINGS = [
    "http://127.0.0.1:{port}/x",
    "http://localhost:{port}/x",
    "http://2130706433:{port}/x",
    "http://0x7f000001:{port}/x",
    "http://0177.0.0.1:{port}/x",
    "http://127.1:{port}/x",
    "http://[::1]:{port}/x",
    "http://[::ffff:127.0.0.1]:{port}/x",
    "http://[::ffff:7f00:1]:{port}/x",
    "http://[64:ff9b::7f00:1]:{port}/x",
    "http://0.0.0.0:{port}/x",
    "http://[::]:{port}/x",
]
NEVER = [
    "http://169.254.169.254/latest/meta-data/",
    "http://[fd00:ec2::254]/latest/meta-data/",
    "http://[::ffff:169.254.169.254]/",
    "http://2852039166/",
    "http://metadata.google.internal/",
    "http://[fe80::1]/",
    "http://224.0.0.1/",
    "http://[ff02::1]/",
]
OTHER_INTERNAL = [
    "http://10.1.2.3/",
    "http://172.16.0.1/",
    "http://192.168.0.1/",
    "http://100.64.0.1/",
    "http://[fc00::1]/",
    "http://198.18.0.1/",
]


def node(url: str, **config: Any) -> dict[str, Any]:
    return {"id": "fetch", "type": "HTTP", "config": {"url": url, "method": "GET", "retries": 0, **config}}


def flow_payload(url: str, allowed: list[str] | None = None) -> dict[str, Any]:
    body = payload(node(url), incident_state())
    if allowed is not None:
        body["flow"]["allowed_hosts"] = allowed
    return body


@pytest.mark.parametrize("spelling", INTERNAL_SPELLINGS)
def test_the_node_never_reaches_a_local_server_in_any_spelling_unless_allowed(spelling, httpserver, make_deps):
    httpserver.expect_request("/x").respond_with_json({"reached": True})
    url = spelling.format(port=httpserver.port)
    with pytest.raises(ToolRefused):
        run_task("http_node", flow_payload(url), make_deps())
    assert httpserver.log == [], "nothing reached the server"


@pytest.mark.parametrize("url", NEVER + OTHER_INTERNAL)
def test_internal_and_metadata_addresses_are_refused_by_the_node(url, make_deps):
    with pytest.raises(ToolRefused):
        run_task("http_node", flow_payload(url), make_deps())


@pytest.mark.parametrize("url", NEVER)
def test_metadata_link_local_and_multicast_stay_refused_whatever_the_allowlist(url, make_deps):
    allowed = [
        "169.254.169.254",
        "fd00:ec2::254",
        "metadata.google.internal",
        "169.254.0.0/16",
        "fe80::/10",
        "224.0.0.0/4",
        "ff00::/8",
    ]
    with pytest.raises(ToolRefused):
        run_task("http_node", flow_payload(url, allowed), make_deps())


def test_the_flows_allowlist_lets_a_named_internal_host_through(httpserver, make_deps):
    httpserver.expect_request("/x").respond_with_json({"reached": True})
    out = run_task("http_node", flow_payload(httpserver.url_for("/x"), ["127.0.0.1"]), make_deps())
    assert out["output"]["json"] == {"reached": True}


def test_a_redirect_to_an_internal_address_is_refused_and_never_followed(httpserver, make_deps):
    httpserver.expect_request("/moved").respond_with_data(
        "", status=302, headers={"Location": "http://169.254.169.254/latest/meta-data/"}
    )
    with pytest.raises(ToolRefused):
        run_task("http_node", flow_payload(httpserver.url_for("/moved"), ["127.0.0.1"]), make_deps())
    assert len(httpserver.log) == 1


def test_a_redirect_within_the_allowlist_is_followed(httpserver, make_deps):
    httpserver.expect_request("/moved").respond_with_data("", status=302, headers={"Location": "/here"})
    httpserver.expect_request("/here").respond_with_json({"here": True})
    out = run_task("http_node", flow_payload(httpserver.url_for("/moved"), ["127.0.0.1"]), make_deps())
    assert out["output"]["json"] == {"here": True}


def test_the_tool_connects_to_the_address_it_checked(httpserver):
    """The name is resolved once, by the check; the connection goes to that address (a second
    look-up by the HTTP library is what DNS rebinding exploits)."""
    httpserver.expect_request("/runbook").respond_with_data("restart the pod")
    answers = iter([["127.0.0.1"]])
    tool = HTTPTool(HTTPConfig(allowed_hosts=["runbooks.internal.test"], resolver=lambda host: next(answers)))
    outcome = tool.invoke("http", {"url": f"http://runbooks.internal.test:{httpserver.port}/runbook"})
    assert outcome.ok and "restart the pod" in outcome.output
    assert httpserver.log[0][0].headers["Host"] == f"runbooks.internal.test:{httpserver.port}"


def test_the_tool_refuses_a_name_with_any_internal_answer():
    tool = HTTPTool(HTTPConfig(resolver=lambda host: ["93.184.216.34", "127.0.0.1"]))
    with pytest.raises(ToolRefused):
        tool.invoke("http", {"url": "http://rebind.example.com/"})


@pytest.mark.parametrize("url", [s.format(port=80) for s in INTERNAL_SPELLINGS] + NEVER + OTHER_INTERNAL)
def test_the_agent_tool_refuses_the_same_addresses(url):
    with pytest.raises(ToolRefused):
        HTTPTool(HTTPConfig()).classify("http", {"url": url})


def flow_yaml(tmp_path, extra: str) -> str:
    path = tmp_path / "flow.yaml"
    path.write_text(
        textwrap.dedent(
            """\
            apiVersion: aof.dev/v1
            kind: AgentFlow
            metadata:
              name: f
            spec:
              trigger:
                type: Manual
              nodes:
                - id: fetch
                  type: HTTP
                  config:
                    url: http://runbooks.internal/x
            """
        )
        + extra
    )
    return str(path)


def test_the_allowlist_is_validated_with_file_and_line(tmp_path):
    from chalicelib.spec import load_resources

    path = flow_yaml(
        tmp_path,
        "  egress:\n    allowed_hosts:\n      - runbooks.internal\n      - 169.254.169.254\n      - 'not a host!'\n",
    )
    with pytest.raises(SpecError) as raised:
        load_resources([path])
    problems = "\n".join(raised.value.problems)
    assert f"{path}:16" in problems and "metadata" in problems
    assert f"{path}:17" in problems and "not a host" in problems


def test_the_old_per_node_switch_says_where_the_allowlist_went(tmp_path):
    from chalicelib.spec import load_resources

    path = flow_yaml(tmp_path, "")
    text = (
        open(path)
        .read()
        .replace("url: http://runbooks.internal/x", "url: http://runbooks.internal/x\n        allow_private: true")
    )
    open(path, "w").write(text)
    with pytest.raises(SpecError) as raised:
        load_resources([path])
    assert "spec.egress.allowed_hosts" in "\n".join(raised.value.problems)


def test_the_compiled_flow_carries_its_allowlist_to_the_node(tmp_path):
    from chalicelib.compiler import compile_flow
    from chalicelib.spec import load_resources

    path = flow_yaml(tmp_path, "  egress:\n    allowed_hosts: [runbooks.internal, 10.0.0.0/8]\n")
    resources = load_resources([path])
    definition = compile_flow(resources.flows["f"], resources.agents)
    payloads = [
        s["Parameters"]["Payload"]
        for s in definition["States"].values()
        if s.get("Type") == "Task" and "fetch" in s.get("Comment", "")
    ]
    assert payloads and payloads[0]["flow"]["allowed_hosts"] == ["runbooks.internal", "10.0.0.0/8"]


def test_an_unreachable_allowed_host_fails_as_a_service_error(make_deps):
    with pytest.raises(AofError) as raised:
        run_task("http_node", flow_payload("http://127.0.0.1:9/x", ["127.0.0.1"]), make_deps())
    assert not isinstance(raised.value, ToolRefused)
