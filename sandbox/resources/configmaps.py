"""ConfigMaps and Secrets: the scenario's ``configmaps:`` and ``secrets:`` entries, as the API keeps
them (ConfigMap values as strings, Secret values base64-encoded under ``data``)."""

from __future__ import annotations

import base64
from typing import Any

from sandbox.resources.context import ClusterContext
from sandbox.scenarios import parse_duration


def load_configmaps(ctx: ClusterContext, now: float) -> None:
    scn = ctx.scenario
    for cm in scn.configmaps:
        ctx.store.commit(
            "configmaps",
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": ctx.meta(
                    cm["name"],
                    cm.get("namespace", scn.namespace),
                    created=now - parse_duration(cm.get("age"), 86400),
                ),
                "data": {k: str(v) for k, v in (cm.get("data") or {}).items()},
            },
            "ADDED",
        )


def encode(value: Any) -> str:
    return base64.b64encode(str(value).encode()).decode()


def load_secrets(ctx: ClusterContext, now: float) -> None:
    """A scenario writes a Secret's values in clear (``data: {password: ...}``); the API serves them
    base64-encoded, as a real API server does. ``deleted: 3h``: the Secret was deleted that long
    ago (pods created before then had read it and still run)."""
    scn = ctx.scenario
    for sec in scn.secrets or []:
        if sec.get("deleted") is not None:
            # Deleted before the incident: not served, but pods created before then still run.
            ns = sec.get("namespace", scn.namespace)
            ctx.secrets_deleted[(ns, sec["name"])] = now - parse_duration(sec["deleted"])
            continue
        ctx.store.commit(
            "secrets",
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": ctx.meta(
                    sec["name"],
                    sec.get("namespace", scn.namespace),
                    created=now - parse_duration(sec.get("age"), 86400),
                ),
                "type": str(sec.get("type", "Opaque")),
                "data": {k: encode(v) for k, v in (sec.get("data") or {}).items()},
            },
            "ADDED",
        )


def normalise_secret(body: dict[str, Any]) -> None:
    """What the API server does on a Secret write: ``stringData`` merged into ``data`` (encoded),
    the type defaulted to Opaque."""
    string_data = body.pop("stringData", None) or {}
    if string_data:
        body.setdefault("data", {})
        for k, v in string_data.items():
            body["data"][k] = encode(v)
    body.setdefault("type", "Opaque")
