"""The object store: every object by resource and (namespace, name), resource versions, and the
history that watches replay.

One lock guards it all; the controllers and the HTTP handlers take ``store.lock`` around each
read-modify-write, and a commit wakes the watches waiting on ``store.cond``.
"""

from __future__ import annotations

import collections
import copy
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from sandbox.apimachinery.errors import ApiError, bad_request
from sandbox.apimachinery.selectors import fields_match, labels_match, parse_field_selector, parse_label_selector

Object = dict[str, Any]
WatchItem = tuple[str, Object]

# Watches older than this many changes get 410 Expired, as from a compacted etcd.
HISTORY_LIMIT = 20000


@dataclass
class WatchEvent:
    rv: int
    type: str
    plural: str
    obj: Object


class ObjectStore:
    """Objects keyed by plural and (namespace, name); cluster-scoped ones have namespace ``""``."""

    def __init__(self, first_rv: int = 1000) -> None:
        self.lock = threading.RLock()
        self.cond = threading.Condition(self.lock)
        self.rv = first_rv
        self.data: dict[str, dict[tuple[str, str], Object]] = collections.defaultdict(dict)
        self.history: collections.deque[WatchEvent] = collections.deque(maxlen=HISTORY_LIMIT)

    def commit(self, plural: str, obj: Object, etype: str) -> Object:
        """Store (or, for ``DELETED``, drop) ``obj`` under a new resource version and tell the watches."""
        self.rv += 1
        meta = obj["metadata"]
        meta["resourceVersion"] = str(self.rv)
        key = (meta.get("namespace", ""), meta["name"])
        if etype == "DELETED":
            self.data[plural].pop(key, None)
        else:
            self.data[plural][key] = obj
        self.history.append(WatchEvent(self.rv, etype, plural, copy.deepcopy(obj)))
        self.cond.notify_all()
        return obj

    def get(self, plural: str, namespace: str, name: str) -> Object | None:
        return self.data[plural].get((namespace, name))

    def objects(self, plural: str, namespace: str | None = None) -> list[Object]:
        """The stored objects themselves (not copies), sorted by namespace and name."""
        items = [o for (ns, _), o in self.data[plural].items() if namespace in (None, "", ns)]
        return sorted(items, key=lambda o: (o["metadata"].get("namespace", ""), o["metadata"]["name"]))

    def owned(self, plural: str, owner: Object) -> list[Object]:
        """Objects whose controller ownerReference points at ``owner``."""
        uid = owner["metadata"]["uid"]
        ns = owner["metadata"].get("namespace")
        return [
            o
            for o in self.objects(plural, ns)
            if any(r.get("uid") == uid and r.get("controller") for r in o["metadata"].get("ownerReferences") or [])
        ]

    def select(
        self,
        plural: str,
        namespace: str | None,
        label_selector: str | None = None,
        field_selector: str | None = None,
    ) -> tuple[list[Object], str]:
        """Deep copies of the matching objects and the list's resource version."""
        reqs = parse_label_selector(label_selector)
        fsel = parse_field_selector(field_selector)
        with self.lock:
            items = [
                copy.deepcopy(o)
                for o in self.objects(plural, namespace)
                if labels_match(reqs, o["metadata"].get("labels")) and fields_match(fsel, o)
            ]
            return items, str(self.rv)

    def watch(
        self,
        plural: str,
        namespace: str | None,
        resource_version: str | None,
        label_selector: str | None,
        field_selector: str | None,
        timeout: float,
        should_stop: Callable[[], bool],
    ) -> Iterator[WatchItem]:
        """Changes to ``plural`` after ``resource_version`` (or the current objects, then changes).

        Bad selectors and expired versions raise here, before the caller starts its response.
        """
        reqs = parse_label_selector(label_selector)
        fsel = parse_field_selector(field_selector)

        def match(obj: Object) -> bool:
            meta = obj["metadata"]
            if namespace and meta.get("namespace", "") != namespace:
                return False
            return labels_match(reqs, meta.get("labels")) and fields_match(fsel, obj)

        deadline = time.time() + timeout
        pending: list[WatchItem] = []
        with self.lock:
            if resource_version in (None, "", "0"):
                for obj in self.objects(plural, namespace):
                    if match(obj):
                        pending.append(("ADDED", copy.deepcopy(obj)))
                cursor = self.rv
            else:
                try:
                    cursor = int(str(resource_version))
                except ValueError as exc:
                    raise bad_request(f"invalid resource version {resource_version!r}") from exc
                oldest = self.history[0].rv if self.history else self.rv
                if cursor < oldest - 1:
                    raise ApiError(410, "Expired", f"too old resource version: {cursor} ({oldest})")
        return self._stream(plural, match, pending, cursor, deadline, should_stop)

    def _stream(
        self,
        plural: str,
        match: Callable[[Object], bool],
        pending: list[WatchItem],
        cursor: int,
        deadline: float,
        should_stop: Callable[[], bool],
    ) -> Iterator[WatchItem]:
        yield from pending
        while not should_stop():
            batch: list[WatchItem] = []
            with self.cond:
                if self.rv <= cursor:
                    remaining = deadline - time.time()
                    if remaining <= 0:
                        return
                    self.cond.wait(min(0.25, remaining))
                for ev in reversed(self.history):
                    if ev.rv <= cursor:
                        break
                    if ev.plural == plural and match(ev.obj):
                        batch.append((ev.type, copy.deepcopy(ev.obj)))
                cursor = self.rv
            yield from reversed(batch)
            if time.time() >= deadline:
                return
