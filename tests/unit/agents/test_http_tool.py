from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from chalicelib.agents.tools.http import HTTPConfig, HTTPTool
from chalicelib.errors import ToolRefused

METADATA_SPELLINGS = [
    "http://169.254.169.254/latest/meta-data/",
    "http://2852039166/latest/meta-data/",
    "http://0xa9fea9fe/latest/meta-data/",
    "http://0251.0376.0251.0376/latest/meta-data/",
    "http://0xa9.0xfe.0xa9.0xfe/",
    "http://169.254.43518/",
    "http://[fd00:ec2::254]/latest/meta-data/",
    "http://[::ffff:169.254.169.254]/latest/meta-data/",
    "http://[::ffff:a9fe:a9fe]/",
    "http://metadata.google.internal/computeMetadata/v1/",
    "http://METADATA.GOOGLE.INTERNAL./computeMetadata/v1/",
    "http://169.254.170.2/v2/credentials",
    "http://[fe80::1]/",
]


@pytest.mark.parametrize("url", METADATA_SPELLINGS)
def test_metadata_and_link_local_refused_even_when_allowlisted(url):
    tool = HTTPTool(HTTPConfig(allowed_hosts=["169.254.169.254", "169.254.0.0/16", "metadata.google.internal"]))
    with pytest.raises(ToolRefused):
        tool.classify("http", {"method": "GET", "url": url})


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/",
        "http://localhost/",
        "http://10.0.0.5/",
        "http://192.168.1.1/",
        "http://[::1]/",
        "http://2130706433/",
        "http://0x7f000001/",
        "http://172.16.0.1/",
    ],
)
def test_private_and_loopback_refused_by_default(url):
    with pytest.raises(ToolRefused):
        HTTPTool(HTTPConfig()).classify("http", {"url": url})


def test_a_name_resolving_to_metadata_is_refused():
    tool = HTTPTool(HTTPConfig(resolver=lambda host: ["169.254.169.254"]))
    with pytest.raises(ToolRefused, match=r"metadata|link-local"):
        tool.classify("http", {"url": "http://innocent.example.com/"})
    ok = HTTPTool(HTTPConfig(resolver=lambda host: ["93.184.216.34"]))
    assert ok.classify("http", {"url": "https://innocent.example.com/"}).kind == "read"


def test_other_schemes_and_methods_refused():
    tool = HTTPTool(HTTPConfig())
    with pytest.raises(ToolRefused):
        tool.classify("http", {"url": "file:///etc/passwd"})
    with pytest.raises(ToolRefused):
        tool.classify("http", {"method": "DELETE", "url": "https://example.com/"})


@pytest.fixture
def local_server():
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            if self.path == "/redirect":
                self.send_response(302)
                self.send_header("Location", "http://169.254.169.254/latest/meta-data/")
                self.end_headers()
                return
            body = b'{"status": "healthy"}'
            self.send_response(200)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self):
            length = int(self.headers["content-length"])
            body = self.rfile.read(length)
            self.send_response(201)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_get_and_post_to_an_allowlisted_host(local_server):
    tool = HTTPTool(HTTPConfig(allowed_hosts=["127.0.0.1"]))
    got = tool.invoke("http", {"url": f"{local_server}/healthz"})
    assert got.ok and "healthy" in got.output
    action = tool.classify("http", {"method": "POST", "url": f"{local_server}/x", "body": "{}"})
    assert action.kind == "write"
    posted = tool.invoke("http", {"method": "POST", "url": f"{local_server}/x", "body": '{"a": 1}'})
    assert posted.ok and '{"a": 1}' in posted.output


def test_redirects_are_not_followed(local_server):
    tool = HTTPTool(HTTPConfig(allowed_hosts=["127.0.0.1"]))
    outcome = tool.invoke("http", {"url": f"{local_server}/redirect"})
    assert not outcome.ok and outcome.metadata["status"] == 302
