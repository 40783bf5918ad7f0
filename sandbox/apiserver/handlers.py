"""What each route does with a resource: list, watch, get, create, update, patch and delete, the
log and scale subresources, and metrics; requests go to the cluster and answers come back as the
API server writes them (lists, Tables, Status, events.k8s.io/v1 events)."""

from __future__ import annotations

import json
import time
from typing import Any

from sandbox import tables
from sandbox.apimachinery.errors import ApiError, bad_request
from sandbox.apimachinery.registry import Resource
from sandbox.apimachinery.units import parse_time, utc_micro
from sandbox.apiserver.exchange import Exchange

MAX_WATCH_SECONDS = 300.0


def to_events_v1(ev: dict[str, Any]) -> dict[str, Any]:
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


class ResourceHandlers(Exchange):
    def _collection(self, res: Resource, namespace: str, body: bytes, dry_run: bool) -> None:
        """GET (list or watch) and POST on ``.../<plural>``."""
        cluster = self.server.cluster
        m = self.command
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

    def _item(self, res: Resource, namespace: str, name: str, sub: str | None, body: bytes, dry_run: bool) -> None:
        """GET, PATCH, PUT and DELETE on ``.../<plural>/<name>``."""
        cluster = self.server.cluster
        m = self.command
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

    @staticmethod
    def _out(res: Resource, obj: dict[str, Any]) -> dict[str, Any]:
        if res.group == "events.k8s.io":
            return to_events_v1(obj)
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
