"""``aofctl validate`` and ``aofctl get agents|flows``."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from ..spec.approvers import approvers_from_env, unguarded_approvals
from ..spec.flow import AgentFlowResource
from .output import print_structured, print_table
from .project import default_paths, load_checked
from .runs_view import get_runs
from .stage_config import unguarded_in_stage
from .unknown import unknown_name


def _validate(args: argparse.Namespace) -> int:
    resources = load_checked(args.paths)
    if args.stage:
        # What a deployed stage would run: an approval anyone can give is an error there.
        resources.problems.extend(unguarded_in_stage(resources, Path(args.project_dir), args.stage))
    else:
        fallback = approvers_from_env(os.environ)
        for name, flow in resources.flows.items():
            for problem in unguarded_approvals(flow, resources.source("AgentFlow", name), fallback):
                resources.warnings.append(
                    problem.replace(": no approvers:", ": no approvers (an error in a deployed stage):", 1)
                )
    for warning in resources.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    for problem in resources.problems:
        print(problem)
    if resources.problems:
        print(f"{len(resources.problems)} problem(s) found", file=sys.stderr)
        return 1
    print(f"ok: {len(resources.agents)} agent(s), {len(resources.flows)} flow(s) valid")
    return 0


def _get(args: argparse.Namespace) -> int:
    if args.kind in ("runs", "run"):
        return get_runs(args)
    resources = load_checked(args.paths or default_paths())
    for problem in resources.problems:
        print(problem, file=sys.stderr)
    rows: list[list[Any]]
    chosen: dict[str, Any] = {}
    if args.name:
        # kubectl's `get TYPE NAME`: that one resource, or an error that names the near ones.
        kind, found = (
            ("agent", resources.agents) if args.kind in ("agents", "agent") else ("agentflow", resources.flows)
        )
        if args.name not in found:
            print(unknown_name(kind, args.name, found), file=sys.stderr)
            return 1
        chosen = {args.name: found[args.name]}
    if args.kind in ("agents", "agent"):
        items = list((chosen if args.name else resources.agents).values())
        rows = [
            [
                a.name,
                a.spec.model,
                ",".join(t.type for t in a.spec.tools),
                a.spec.memory.type if a.spec.memory else "",
            ]
            for a in items
        ]
        headers = ["NAME", "MODEL", "TOOLS", "MEMORY"]
    else:
        flows: list[AgentFlowResource] = list((chosen if args.name else resources.flows).values())
        rows = [
            [f.name, f.spec.trigger.type, len(f.spec.nodes), getattr(f.spec.trigger.config, "path", "")] for f in flows
        ]
        items = flows
        headers = ["NAME", "TRIGGER", "NODES", "PATH"]
    if args.output in ("json", "yaml"):
        documents = [i.model_dump(by_alias=True, exclude_defaults=True) for i in items]
        print_structured(documents[0] if args.name else documents, args.output)
    else:
        print_table(headers, rows)
    return 1 if resources.problems else 0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    validate = subparsers.add_parser("validate", help="check Agent and AgentFlow YAML files")
    validate.add_argument("paths", nargs="+", help="files or directories of *.yaml")
    validate.add_argument("--stage", help="also check what a deployed stage requires (approvers, ...)")
    validate.add_argument("--project-dir", default=".", help="the Chalice project (where .chalice/ is)")
    validate.set_defaults(handler=_validate)

    get = subparsers.add_parser("get", help="list resources (agents, flows, runs) or show one: get TYPE NAME")
    get.add_argument("kind", choices=["agents", "agent", "flows", "flow", "agentflow", "agentflows", "runs", "run"])
    get.add_argument("name", nargs="?", help="one resource by name (a run by id, prefix, incident or approval id)")
    get.add_argument("-f", "--file", dest="paths", action="append", help="where to load resources from")
    get.add_argument("-o", "--output", choices=["table", "json", "yaml"], default="table")
    get.add_argument("--since", help="with runs: only runs newer than e.g. 24h, 30m")
    get.add_argument("--state-dir", help="with runs: the embedded default's state directory")
    get.set_defaults(handler=_get)
