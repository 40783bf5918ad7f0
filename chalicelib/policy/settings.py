"""The safety limits a run enforces, read from the flow's ``spec.safety`` (its ``rate_limit``: :mod:`.rate_limit`).

The compiled task payload carries them as plain dicts (``payload["safety"]``,
``payload["rate_limit"]``); anything missing falls back to the same defaults as
``chalicelib.spec.flow.SafetySpec`` and ``RateLimit``, so an older definition is still safe.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from chalicelib.policy.kinds import canonical_kind

#: Kinds whose deletion loses data or a whole application: always destructive.
DATA_KINDS = frozenset({"statefulset", "persistentvolumeclaim", "persistentvolume", "namespace"})
#: The cluster's own namespaces: off limits unless a flow's ``safety.forbidden_namespaces`` says
#: otherwise (an empty list opens them; they stay ``protected``, so an approval is still needed).
SYSTEM_NAMESPACES = frozenset({"kube-system", "kube-public", "kube-node-lease"})


@dataclass(frozen=True)
class SafetySettings:
    protected_namespaces: frozenset[str] = SYSTEM_NAMESPACES
    protected_kinds: frozenset[str] = frozenset({"namespace", "persistentvolumeclaim"})
    #: None: every namespace not protected or forbidden may be changed.
    allowed_namespaces: frozenset[str] | None = None
    #: Off limits entirely: refused even with an approval.
    forbidden_namespaces: frozenset[str] = SYSTEM_NAMESPACES
    forbidden_kinds: frozenset[str] = frozenset()
    max_changes_per_namespace_per_hour: int = 5
    max_changes_per_service_per_hour: int = 3
    monitor_seconds: float = 60.0
    #: How often the monitor looks at the workload during its window.
    monitor_interval_seconds: float = 1.0
    approvers: tuple[str, ...] = ()
    budget_window_seconds: int = 3600
    #: The band a ``scale`` stays a plain write in; outside it (and at zero) it is destructive.
    min_replicas: int = 1
    max_replicas: int = 10

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any] | None) -> SafetySettings:
        raw = dict(raw or {})
        base = cls()

        def names(key: str, default: frozenset[str]) -> frozenset[str]:
            value = raw.get(key)
            return default if value is None else frozenset(_singular(str(v)) for v in value)

        allowed = raw.get("allowed_namespaces")
        return cls(
            protected_namespaces=frozenset(str(n) for n in raw["protected_namespaces"])
            if raw.get("protected_namespaces") is not None
            else base.protected_namespaces,
            protected_kinds=names("protected_kinds", base.protected_kinds),
            allowed_namespaces=frozenset(str(n) for n in allowed) if allowed is not None else None,
            forbidden_namespaces=frozenset(str(n) for n in raw["forbidden_namespaces"])
            if raw.get("forbidden_namespaces") is not None
            else base.forbidden_namespaces,
            forbidden_kinds=names("forbidden_kinds", frozenset()),
            max_changes_per_namespace_per_hour=int(
                raw.get("max_changes_per_namespace_per_hour", base.max_changes_per_namespace_per_hour)
            ),
            max_changes_per_service_per_hour=int(
                raw.get("max_changes_per_service_per_hour", base.max_changes_per_service_per_hour)
            ),
            monitor_seconds=float(raw.get("monitor_seconds", base.monitor_seconds)),
            monitor_interval_seconds=float(raw.get("monitor_interval_seconds", base.monitor_interval_seconds)),
            approvers=tuple(str(a) for a in raw.get("approvers") or ()),
            min_replicas=int(raw.get("min_replicas", base.min_replicas)),
            max_replicas=int(raw.get("max_replicas", base.max_replicas)),
        )


def _singular(kind: str) -> str:
    return canonical_kind(kind)


def singular_kind(kind: str) -> str:
    """``deploy``, ``deployments``, ``deployments.apps`` -> ``deployment``."""
    return _singular(kind)
