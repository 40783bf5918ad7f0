"""HTTP front end: the Kubernetes REST API (enough for kubectl and the Python client) over a Cluster.

Stdlib ``ThreadingHTTPServer`` on 127.0.0.1 only, HTTP/1.1 with keep-alive and chunked watch streams.
This module only routes: a URL goes to a discovery document (``apiserver.discovery``) or to a
resource handler (``apiserver.handlers``).
"""

from __future__ import annotations

import threading
import traceback
import urllib.parse

from sandbox.apimachinery.errors import ApiError
from sandbox.apimachinery.openapi import openapi_v3_doc, openapi_v3_root
from sandbox.apimachinery.registry import find_resource
from sandbox.apiserver.discovery import (
    ROOT_PATHS,
    VERSION_INFO,
    api_group,
    api_versions,
    core_resource_list,
    find_group,
    group_list,
    group_resource_list,
)
from sandbox.apiserver.exchange import ApiHttpServer
from sandbox.apiserver.handlers import ResourceHandlers
from sandbox.cluster import Cluster


class Handler(ResourceHandlers):
    def do_GET(self) -> None:
        self._dispatch()

    def do_HEAD(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_PUT(self) -> None:
        self._dispatch()

    def do_PATCH(self) -> None:
        self._dispatch()

    def do_DELETE(self) -> None:
        self._dispatch()

    def _dispatch(self) -> None:
        parsed = urllib.parse.urlsplit(self.path)
        self.query = {k: v[-1] for k, v in urllib.parse.parse_qs(parsed.query, keep_blank_values=True).items()}
        parts = [urllib.parse.unquote(p) for p in parsed.path.split("/") if p]
        body = self._body() if self.command in ("POST", "PUT", "PATCH", "DELETE") else b""
        self._entry = None
        try:
            if body and "protobuf" in self.headers.get("Content-Type", ""):
                # JSON only: client-go falls back to JSON on 415 and remembers it
                raise ApiError(
                    415,
                    "UnsupportedMediaType",
                    f"the body of the request was in an unknown format - accepted media types include: "
                    f"application/json, application/yaml (got {self.headers.get('Content-Type')})",
                )
            self._route(parts, body)
            if self._entry is not None:
                self._entry["code"] = 201 if self.command == "POST" else 200
        except ApiError as err:
            if self._entry is not None:
                self._entry.update(code=err.code, reason=err.reason, message=err.message)
            self._error(err)
        except (BrokenPipeError, ConnectionResetError):
            pass
        except Exception as exc:  # pragma: no cover - a bug: report it like the API server would
            traceback.print_exc()
            self._error(ApiError(500, "InternalError", f"sandbox internal error: {exc}"))

    def _route(self, parts: list[str], body: bytes) -> None:
        if not parts:
            return self._send_json(200, ROOT_PATHS)
        head = parts[0]
        if head == "version":
            return self._send_json(200, VERSION_INFO)
        if head == "openapi" and len(parts) >= 2 and parts[1] == "v3":
            if len(parts) == 2:
                return self._send_json(200, openapi_v3_root())
            rest = parts[2:]
            if rest[0] == "api" and rest[1:] == ["v1"]:
                doc = openapi_v3_doc("", "v1")
            elif rest[0] == "apis" and len(rest) == 3:
                doc = openapi_v3_doc(rest[1], rest[2])
            else:
                doc = None
            if doc is not None:
                return self._send_json(200, doc)
        if head in ("healthz", "livez", "readyz"):
            return self._send_text(200, "ok")
        if head == "api":
            if len(parts) == 1:
                return self._send_json(200, api_versions(self.server.server_port))
            if parts[1] != "v1":
                raise ApiError(404, "NotFound", "the server could not find the requested resource")
            if len(parts) == 2:
                return self._send_json(200, core_resource_list())
            return self._resource("", "v1", parts[2:], body)
        if head == "apis":
            if len(parts) == 1:
                return self._send_json(200, group_list())
            group = parts[1]
            gv = find_group(group)
            if gv is None:
                raise ApiError(404, "NotFound", "the server could not find the requested resource")
            if len(parts) == 2:
                return self._send_json(200, api_group(*gv))
            if parts[2] != gv[1]:
                raise ApiError(404, "NotFound", "the server could not find the requested resource")
            if len(parts) == 3:
                return self._send_json(200, group_resource_list(group, gv[1]))
            return self._resource(group, gv[1], parts[3:], body)
        raise ApiError(404, "NotFound", "the server could not find the requested resource")

    def _resource(self, group: str, version: str, rest: list[str], body: bytes) -> None:
        """rest: [plural] [name] [sub] or [namespaces, ns, plural, name, sub]."""
        namespace = ""
        if rest[0] == "namespaces" and len(rest) >= 3:
            namespace = rest[1]
            rest = rest[2:]
        plural = rest[0]
        res = find_resource(group, version, plural)
        if res is None or (namespace and not res.namespaced):
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        name = rest[1] if len(rest) > 1 else None
        sub = rest[2] if len(rest) > 2 else None
        if len(rest) > 3 or (sub and sub not in res.subresources):
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        if group == "metrics.k8s.io":
            return self._metrics(res, namespace, name)
        dry_run = self._dry_run()
        if name is None:
            return self._collection(res, namespace, body, dry_run)
        if res.namespaced and not namespace:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        if sub == "log":
            return self._log(namespace, name)
        if sub == "scale":
            return self._scale(res, namespace, name, body, dry_run)
        return self._item(res, namespace, name, sub, body, dry_run)


class SandboxServer:
    """The HTTP server; ``start()`` serves on a background thread, ``stop()`` shuts it down."""

    def __init__(self, cluster: Cluster, *, host: str = "127.0.0.1", port: int = 0, log_requests: bool = False) -> None:
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError("the sandbox only listens on loopback")
        self.cluster = cluster
        self.httpd = ApiHttpServer((host, port), Handler)
        self.httpd.cluster = cluster
        self.httpd.stopping = threading.Event()
        self.httpd.log_requests = log_requests
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self.httpd.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.1}, name="sandbox-http", daemon=True
        )
        self._thread.start()

    def serve_forever(self) -> None:
        self.httpd.serve_forever(poll_interval=0.2)

    def stop(self) -> None:
        self.httpd.stopping.set()
        if self._thread is not None:
            self.httpd.shutdown()
            self._thread.join(timeout=2)
            self._thread = None
        self.httpd.server_close()
