"""HTTP front end: the Kubernetes REST API (enough for kubectl and the Python client) over a Cluster.

Stdlib ``ThreadingHTTPServer`` on 127.0.0.1 only, HTTP/1.1 with keep-alive and chunked watch streams.
"""

from __future__ import annotations

import json
import select
import socket
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from sandbox import tables
from sandbox.apimachinery.errors import ApiError, bad_request
from sandbox.apimachinery.openapi import openapi_v3_doc, openapi_v3_root
from sandbox.apimachinery.registry import GROUPS, Resource, find_resource, resources_in
from sandbox.apimachinery.units import parse_time, utc_micro
from sandbox.cluster import Cluster

GIT_VERSION = "v1.32.4-sandbox"
MAX_WATCH_SECONDS = 300.0


def _discovery_resources(group: str, version: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for r in resources_in(group, version):
        entry: dict[str, Any] = {
            "name": r.plural,
            "singularName": r.singular,
            "namespaced": r.namespaced,
            "kind": r.kind,
            "verbs": list(r.verbs),
        }
        if r.short_names:
            entry["shortNames"] = list(r.short_names)
        if r.categories:
            entry["categories"] = list(r.categories)
        out.append(entry)
        for sub in r.subresources:
            if sub == "scale":
                out.append(
                    {
                        "name": f"{r.plural}/scale",
                        "singularName": "",
                        "namespaced": r.namespaced,
                        "group": "autoscaling",
                        "version": "v1",
                        "kind": "Scale",
                        "verbs": ["get", "patch", "update"],
                    }
                )
            elif sub == "log":
                out.append(
                    {
                        "name": f"{r.plural}/log",
                        "singularName": "",
                        "namespaced": r.namespaced,
                        "kind": "Pod",
                        "verbs": ["get"],
                    }
                )
            else:
                out.append(
                    {
                        "name": f"{r.plural}/{sub}",
                        "singularName": "",
                        "namespaced": r.namespaced,
                        "kind": r.kind,
                        "verbs": ["get", "patch", "update"],
                    }
                )
    return out


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64
    cluster: Cluster
    stopping: threading.Event
    log_requests: bool


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "sandbox-apiserver/1.0"
    server: _Server

    # ------------------------------------------------------------------ plumbing
    def log_message(self, format: str, *args: Any) -> None:
        if self.server.log_requests:
            sys.stderr.write(f"[sandbox] {self.address_string()} {format % args}\n")

    def _send_json(self, code: int, body: Any, content_type: str = "application/json") -> None:
        data = json.dumps(body, separators=(",", ":")).encode()
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-cache, private")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _send_text(self, code: int, text: str) -> None:
        data = text.encode()
        self.send_response(code)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _error(self, err: ApiError) -> None:
        self._send_json(err.code, err.status())

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            return self.rfile.read(length)
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        return b""

    def _json_body(self, raw: bytes) -> Any:
        if not raw:
            return {}
        try:
            return json.loads(raw)
        except ValueError:
            try:
                import yaml

                return yaml.safe_load(raw)
            except Exception as exc:
                raise bad_request(f"unable to decode request body: {exc}") from exc

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
        self._entry: dict[str, Any] | None = None
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
            import traceback

            traceback.print_exc()
            self._error(ApiError(500, "InternalError", f"sandbox internal error: {exc}"))

    # ------------------------------------------------------------------ routing
    def _route(self, parts: list[str], body: bytes) -> None:
        if not parts:
            return self._send_json(200, {"paths": ["/api", "/api/v1", "/apis", "/version", "/healthz"]})
        head = parts[0]
        if head == "version":
            return self._send_json(
                200,
                {
                    "major": "1",
                    "minor": "32",
                    "gitVersion": GIT_VERSION,
                    "gitCommit": "0000000000000000000000000000000000000000",
                    "gitTreeState": "clean",
                    "buildDate": "2024-11-01T00:00:00Z",
                    "goVersion": "go1.22.8",
                    "compiler": "gc",
                    "platform": "linux/amd64",
                },
            )
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
                return self._send_json(
                    200,
                    {
                        "kind": "APIVersions",
                        "versions": ["v1"],
                        "serverAddressByClientCIDRs": [
                            {"clientCIDR": "0.0.0.0/0", "serverAddress": f"127.0.0.1:{self.server.server_port}"}
                        ],
                    },
                )
            if parts[1] != "v1":
                raise ApiError(404, "NotFound", "the server could not find the requested resource")
            if len(parts) == 2:
                return self._send_json(
                    200, {"kind": "APIResourceList", "groupVersion": "v1", "resources": _discovery_resources("", "v1")}
                )
            return self._resource("", "v1", parts[2:], body)
        if head == "apis":
            if len(parts) == 1:
                return self._send_json(
                    200,
                    {"kind": "APIGroupList", "apiVersion": "v1", "groups": [self._group(g, v) for g, v in GROUPS]},
                )
            group = parts[1]
            gv = next(((g, v) for g, v in GROUPS if g == group), None)
            if gv is None:
                raise ApiError(404, "NotFound", "the server could not find the requested resource")
            if len(parts) == 2:
                return self._send_json(200, {"kind": "APIGroup", "apiVersion": "v1", **self._group(*gv)})
            if parts[2] != gv[1]:
                raise ApiError(404, "NotFound", "the server could not find the requested resource")
            if len(parts) == 3:
                return self._send_json(
                    200,
                    {
                        "kind": "APIResourceList",
                        "apiVersion": "v1",
                        "groupVersion": f"{group}/{gv[1]}",
                        "resources": _discovery_resources(group, gv[1]),
                    },
                )
            return self._resource(group, gv[1], parts[3:], body)
        raise ApiError(404, "NotFound", "the server could not find the requested resource")

    @staticmethod
    def _group(group: str, version: str) -> dict[str, Any]:
        gv = {"groupVersion": f"{group}/{version}", "version": version}
        return {"name": group, "versions": [gv], "preferredVersion": gv}

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
        cluster = self.server.cluster
        m = self.command
        if name is None:
            if m in ("GET", "HEAD"):
                if self.query.get("watch") in ("true", "1"):
                    return self._watch(res, namespace)
                return self._list(res, namespace)
            if m == "POST":
                obj = self._json_body(body)
                ns = namespace or (obj.get("metadata") or {}).get("namespace") or ""
                if res.namespaced and not ns:
                    raise bad_request(
                        "the namespace of the provided object does not match the namespace sent on the request"
                    )
                self._audit("create", res, ns, (obj.get("metadata") or {}).get("name", ""), None, dry_run, obj)
                created = cluster.create_object(res, ns, obj, dry_run)
                return self._send_json(201, self._out(res, created))
            raise ApiError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource")
        if res.namespaced and not namespace:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        if sub == "log":
            return self._log(namespace, name)
        if sub == "scale":
            return self._scale(res, namespace, name, body, dry_run)
        if m in ("GET", "HEAD"):
            obj = cluster.get_object(res, namespace, name)
            if self._wants_table() and res.kind in tables.PRINTERS:
                return self._send_json(
                    200,
                    tables.to_table(
                        res.kind,
                        [self._out(res, obj)],
                        obj["metadata"]["resourceVersion"],
                        include_object=self.query.get("includeObject", "Metadata"),
                    ),
                )
            return self._send_json(200, self._out(res, obj))
        if m == "PATCH":
            ctype = self.headers.get("Content-Type", "application/strategic-merge-patch+json")
            self._audit("patch", res, namespace, name, sub, dry_run, self._json_body(body), patch_type=ctype)
            obj = cluster.patch_object(res, namespace, name, ctype, body, dry_run)
            return self._send_json(200, self._out(res, obj))
        if m == "PUT":
            obj = self._json_body(body)
            self._audit("update", res, namespace, name, sub, dry_run, obj)
            out = cluster.replace_object(res, namespace, name, obj, dry_run)
            return self._send_json(200, self._out(res, out))
        if m == "DELETE":
            opts = self._json_body(body) if body else {}
            if "gracePeriodSeconds" in self.query:
                opts["gracePeriodSeconds"] = int(self.query["gracePeriodSeconds"])
            if (opts.get("dryRun") or []) == ["All"]:
                dry_run = True
            self._audit("delete", res, namespace, name, sub, dry_run, opts)
            obj = cluster.delete_object(res, namespace, name, dry_run, opts)
            if res.kind == "Pod":
                return self._send_json(200, obj)
            return self._send_json(
                200,
                {
                    "kind": "Status",
                    "apiVersion": "v1",
                    "metadata": {},
                    "status": "Success",
                    "details": {"name": name, "group": res.group, "kind": res.plural, "uid": obj["metadata"]["uid"]},
                },
            )
        raise ApiError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource")

    # ------------------------------------------------------------------ helpers
    def _dry_run(self) -> bool:
        value = self.query.get("dryRun")
        if value is None or value == "":
            return False
        if value != "All":
            raise bad_request(f'Invalid dry run value: {value!r}: supported values: "All"')
        return True

    def _wants_table(self) -> bool:
        accept = self.headers.get("Accept", "")
        return "as=Table" in accept

    def _audit(
        self,
        verb: str,
        res: Resource,
        namespace: str,
        name: str,
        sub: str | None,
        dry_run: bool,
        body: Any,
        patch_type: str | None = None,
    ) -> None:
        entry = {
            "method": self.command,
            "verb": verb,
            "group": res.group,
            "resource": res.plural,
            "kind": res.kind,
            "subresource": sub,
            "namespace": namespace,
            "name": name,
            "dry_run": dry_run,
            "body": body,
            "patch_type": patch_type,
            "path": self.path,
            "user_agent": self.headers.get("User-Agent", ""),
            "code": None,
        }
        self._entry = entry
        self.server.cluster.record(entry)

    @staticmethod
    def _out(res: Resource, obj: dict[str, Any]) -> dict[str, Any]:
        if res.group == "events.k8s.io":
            return _to_events_v1(obj)
        return obj

    def _list(self, res: Resource, namespace: str) -> None:
        cluster = self.server.cluster
        store = "events" if res.group == "events.k8s.io" else res.plural
        items, rv = cluster.list_objects(
            store, namespace or None, self.query.get("labelSelector"), self.query.get("fieldSelector")
        )
        if store == "events":
            items.sort(key=lambda e: (e.get("lastTimestamp") or "", e["metadata"]["name"]))
        items = [self._out(res, o) for o in items]
        if self._wants_table() and res.kind in tables.PRINTERS:
            return self._send_json(
                200, tables.to_table(res.kind, items, rv, include_object=self.query.get("includeObject", "Metadata"))
            )
        for o in items:
            o.pop("apiVersion", None)
            o.pop("kind", None)
        return self._send_json(
            200,
            {
                "kind": f"{res.kind}List",
                "apiVersion": res.api_version,
                "metadata": {"resourceVersion": rv},
                "items": items,
            },
        )

    def _watch(self, res: Resource, namespace: str) -> None:
        cluster = self.server.cluster
        store = "events" if res.group == "events.k8s.io" else res.plural
        timeout = min(float(self.query.get("timeoutSeconds") or MAX_WATCH_SECONDS), MAX_WATCH_SECONDS)
        table = self._wants_table() and res.kind in tables.PRINTERS
        gen = cluster.watch(
            store,
            namespace or None,
            self.query.get("resourceVersion"),
            self.query.get("labelSelector"),
            self.query.get("fieldSelector"),
            timeout,
            lambda: self.server.stopping.is_set() or self._client_gone(),
        )
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Cache-Control", "no-cache, private")
        self.end_headers()
        self.wfile.flush()

        def emit(etype: str, obj: dict[str, Any]) -> None:
            out = self._out(res, obj)
            if table:
                out = tables.to_table(res.kind, [out], out["metadata"].get("resourceVersion", ""))
            line = json.dumps({"type": etype, "object": out}, separators=(",", ":")).encode() + b"\n"
            self.wfile.write(f"{len(line):x}\r\n".encode() + line + b"\r\n")
            self.wfile.flush()

        try:
            for etype, obj in gen:
                emit(etype, obj)
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except ApiError as err:
            line = json.dumps({"type": "ERROR", "object": err.status()}).encode() + b"\n"
            self.wfile.write(f"{len(line):x}\r\n".encode() + line + b"\r\n0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass
        finally:
            self.close_connection = True

    def _client_gone(self) -> bool:
        """The watching client closed its connection (readable socket with nothing to read)."""
        try:
            readable, _, _ = select.select([self.connection], [], [], 0)
            if not readable:
                return False
            return bool(self.connection.recv(1, socket.MSG_PEEK) == b"")
        except (OSError, ValueError):
            return True

    def _log(self, namespace: str, name: str) -> None:
        q = self.query
        tail = q.get("tailLines")
        text = self.server.cluster.pod_log(
            namespace,
            name,
            q.get("container") or None,
            q.get("previous") in ("true", "1"),
            int(tail) if tail not in (None, "") else None,
        )
        if q.get("timestamps") in ("true", "1"):
            stamp = utc_micro(time.time()).replace("Z", "000Z")
            text = "".join(f"{stamp} {line}" for line in text.splitlines(keepends=True))
        limit = q.get("limitBytes")
        if limit:
            text = text[: int(limit)]
        self._send_text(200, text)

    def _scale(self, res: Resource, namespace: str, name: str, body: bytes, dry_run: bool) -> None:
        cluster = self.server.cluster
        if self.command in ("GET", "HEAD"):
            return self._send_json(200, cluster.get_scale(res, namespace, name))
        if self.command == "PATCH":
            ctype = self.headers.get("Content-Type", "application/merge-patch+json")
            self._audit("patch", res, namespace, name, "scale", dry_run, self._json_body(body), patch_type=ctype)
            return self._send_json(
                200, cluster.update_scale(res, namespace, name, content_type=ctype, body=body, dry_run=dry_run)
            )
        if self.command == "PUT":
            self._audit("update", res, namespace, name, "scale", dry_run, self._json_body(body))
            return self._send_json(
                200, cluster.update_scale(res, namespace, name, content_type=None, body=body, dry_run=dry_run)
            )
        raise ApiError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource")

    def _metrics(self, res: Resource, namespace: str, name: str | None) -> None:
        if self.command not in ("GET", "HEAD"):
            raise ApiError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource")
        cluster = self.server.cluster
        sel = self.query.get("labelSelector")
        if res.kind == "PodMetrics":
            items = cluster.pod_metrics(namespace or None, sel, name)
            if name:
                if not items:
                    raise ApiError(
                        404,
                        "NotFound",
                        f'podmetrics.metrics.k8s.io "{name}" not found',
                        details={"name": name, "group": "metrics.k8s.io", "kind": "pods"},
                    )
                return self._send_json(200, items[0])
            return self._send_json(
                200, {"kind": "PodMetricsList", "apiVersion": "metrics.k8s.io/v1beta1", "metadata": {}, "items": items}
            )
        items = cluster.node_metrics(name, sel)
        if name:
            if not items:
                raise ApiError(
                    404,
                    "NotFound",
                    f'nodemetrics.metrics.k8s.io "{name}" not found',
                    details={"name": name, "group": "metrics.k8s.io", "kind": "nodes"},
                )
            return self._send_json(200, items[0])
        return self._send_json(
            200, {"kind": "NodeMetricsList", "apiVersion": "metrics.k8s.io/v1beta1", "metadata": {}, "items": items}
        )


def _to_events_v1(ev: dict[str, Any]) -> dict[str, Any]:
    """core/v1 Event -> events.k8s.io/v1 Event."""
    io = dict(ev.get("involvedObject") or {})
    out: dict[str, Any] = {
        "kind": "Event",
        "apiVersion": "events.k8s.io/v1",
        "metadata": ev["metadata"],
        "eventTime": ev.get("eventTime") or utc_micro(parse_time(ev.get("firstTimestamp")) or time.time()),
        "reportingController": (ev.get("source") or {}).get("component", ""),
        "reportingInstance": ev.get("reportingInstance") or (ev.get("source") or {}).get("host", ""),
        "action": ev.get("reason", ""),
        "reason": ev.get("reason", ""),
        "regarding": io,
        "note": ev.get("message", ""),
        "type": ev.get("type", "Normal"),
        "deprecatedSource": ev.get("source") or {},
        "deprecatedFirstTimestamp": ev.get("firstTimestamp"),
        "deprecatedLastTimestamp": ev.get("lastTimestamp"),
        "deprecatedCount": ev.get("count", 1),
    }
    if int(ev.get("count") or 1) > 1:
        out["series"] = {
            "count": ev["count"],
            "lastObservedTime": utc_micro(parse_time(ev.get("lastTimestamp")) or time.time()),
        }
    return out


class SandboxServer:
    """The HTTP server; ``start()`` serves on a background thread, ``stop()`` shuts it down."""

    def __init__(self, cluster: Cluster, *, host: str = "127.0.0.1", port: int = 0, log_requests: bool = False) -> None:
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError("the sandbox only listens on loopback")
        self.cluster = cluster
        self.httpd = _Server((host, port), Handler)
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
