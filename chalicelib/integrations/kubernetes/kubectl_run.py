"""Run a kubectl command without a kubectl binary, with output an SRE (or a model) reads as kubectl's.

The argv is first read by the policy's strict parser (:mod:`chalicelib.policy.kubectl_argv`),
whose canonical form is what the gate judged; that canonical argv is then translated into the
typed operation the policy's dry run uses (:func:`.translate.kubectl_to_operation`), so the
call that runs is the change that was judged. A command with no exact typed equivalent is
refused, never approximated.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import yaml

from chalicelib.policy.kubectl_argv import parse

from .client import KubeOps
from .describe import describe_text, events_table, top_table
from .kinds import LIST_KIND, OpResult, normalise_kind
from .tables import fetch_table, qualified_kind, render_table, resource_path
from .translate import kubectl_to_operation


@dataclass
class KubectlRun:
    text: str
    result: OpResult


def canonical_operation(args: list[str]) -> tuple[dict[str, Any], str]:
    """(typed operation, ``--output`` value) of a kubectl argv without the program name."""
    command = parse(["kubectl", *args])
    operation = kubectl_to_operation(list(command.argv[1:]))
    return operation, command.output


def _objects_text(data: Any, output: str) -> str:
    if output == "yaml":
        return str(yaml.safe_dump(data, sort_keys=False))
    if output == "name":
        items = data.get("items", [data]) if isinstance(data, dict) else []
        return "\n".join(f"{str(i.get('kind', '')).lower()}/{(i.get('metadata') or {}).get('name')}" for i in items)
    text = json.dumps(data, indent=1, default=str)
    if output and output != "json":
        return f"(--output={output} is not available without kubectl; the JSON follows)\n{text}"
    return text


def run_kubectl(ops: KubeOps, args: list[str]) -> KubectlRun:
    """Run ``args`` (kubectl's argv without the program) through the typed operations."""
    operation, output = canonical_operation(args)
    verb = operation["operation"]
    everywhere = bool(operation.get("all_namespaces"))
    namespace = None if everywhere else str(operation.get("namespace") or "default")
    if verb == "get" and len(operation.get("kinds") or []) > 1:
        return _several_kinds(ops, operation, output, namespace, everywhere)
    if verb == "get" and output in ("", "wide"):
        kind = normalise_kind(str(operation.get("kind") or "pods"))
        path = resource_path(kind, namespace, operation.get("name"))
        table = ops.call(lambda: fetch_table(ops.api, path, operation.get("label_selector")))
        text = render_table(table, wide=output == "wide", with_namespace=everywhere)
        return KubectlRun(text, OpResult(data=table))
    result = ops.run(operation)
    if verb == "describe":
        data = result.data or {}
        return KubectlRun(describe_text(data.get("object") or {}, list(data.get("events") or [])), result)
    if verb == "events" and not output:
        return KubectlRun(events_table(list((result.data or {}).get("items") or [])), result)
    if verb == "top":
        return KubectlRun(top_table(result.data or {}, with_namespace=everywhere), result)
    if result.text is not None:
        return KubectlRun(result.text, result)
    if verb == "get" or (verb == "events" and output):
        return KubectlRun(_objects_text(result.data, output), result)
    # A change: kubectl's one-line answer ("deployment.apps/api restarted").
    summary = (result.data or {}).get("result") if isinstance(result.data, dict) else None
    return KubectlRun(str(summary or json.dumps(result.data, default=str)), result)


def _several_kinds(
    ops: KubeOps, operation: dict[str, Any], output: str, namespace: str | None, everywhere: bool
) -> KubectlRun:
    """``kubectl get pods,svc``: kubectl's tables one after the other, rows named ``pod/NAME``;
    other outputs as one ``List`` of every object, each carrying its kind."""
    kinds = [str(kind) for kind in operation["kinds"]]
    if output in ("", "wide"):
        selector = operation.get("label_selector")

        def table_of(kind: str) -> dict[str, Any]:
            return dict(ops.call(lambda: fetch_table(ops.api, resource_path(kind, namespace), selector)))

        tables = [table_of(kind) for kind in kinds]
        texts = [
            render_table(
                table, wide=output == "wide", with_namespace=everywhere, name_prefix=qualified_kind(kind) + "/"
            )
            for kind, table in zip(kinds, tables, strict=True)
            if table.get("rows")
        ]
        return KubectlRun("\n\n".join(texts) or "No resources found.", OpResult(data={"tables": tables}))
    items: list[Any] = []
    for kind in kinds:
        listed = ops.run({**{k: v for k, v in operation.items() if k != "kinds"}, "kind": kind}).data or {}
        for item in listed.get("items") or [] if isinstance(listed, dict) else []:
            items.append({"kind": LIST_KIND[kind], **item} if isinstance(item, dict) else item)
    data = {"apiVersion": "v1", "kind": "List", "items": items}
    return KubectlRun(_objects_text(data, output), OpResult(data=data))
