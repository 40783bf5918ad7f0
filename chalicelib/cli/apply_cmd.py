"""``aofctl apply -f FILE|DIR [--stage dev] [--local]`` and ``aofctl package``.

apply: plan (pure), then execute through :class:`chalicelib.deploy.aws.AwsDeployClient`; prints
every resource with ``+`` created, ``~`` updated or ``=`` unchanged. A second apply of the
same files changes nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .. import settings
from ..errors import AofError, SpecError
from ..spec import Resources
from .credentials_report import report_credentials
from .project import load_project_resources
from .stage_config import stage_prefix, stage_settings, unguarded_in_stage

# Imported when the command runs, not when ``aofctl`` starts: the deploy modules (12 to 37 ms
# each, the compiler and the spec models with them) and boto3 (130 ms).


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    apply = subparsers.add_parser("apply", help="create or update tables, role, state machines and flow registry")
    _common(apply)
    apply.add_argument(
        "--local",
        action="store_true",
        help="apply to the embedded engine (SQLite); the default unless --stage is given or AOF_BACKEND=aws",
    )
    apply.add_argument("--dry-run", action="store_true", help="print the plan, change nothing")
    apply.add_argument("--region", default=None, help="AWS region (default: from the deployed functions' ARNs)")
    apply.set_defaults(handler=_apply)

    package = subparsers.add_parser(
        "package", help="write the CloudFormation merge template for `chalice package --merge-template`"
    )
    _common(package)
    package.add_argument("-o", "--output", default="build/merge-template.json", help="template file to write")
    package.set_defaults(handler=_package)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-f", "--filename", dest="files", action="append", required=True, help="YAML file or directory")
    parser.add_argument("--stage", default=None, help="Chalice stage; apply then targets AWS (default stage: dev)")
    parser.add_argument("--project-dir", default=".", help="the Chalice project (where .chalice/ is)")
    parser.add_argument("--prefix", default=None, help="table prefix (default: the stage's AOF_TABLE_PREFIX)")


def targets_aws(args: argparse.Namespace, env: Mapping[str, str]) -> bool:
    """``--local`` wins; then an explicit ``--stage``; then ``AOF_BACKEND`` (default local, as
    everywhere else, so the tutorial's bare ``aofctl apply -f FILE`` works without AWS)."""
    if args.local:
        return False
    return args.stage is not None or settings.resolve(settings.AOF_BACKEND, None, env, "local") == "aws"


def _apply(args: argparse.Namespace) -> int:
    if not targets_aws(args, os.environ):
        return _apply_local(args)
    project_dir = Path(args.project_dir)
    resources = load_project_resources(args.files, project_dir)
    if resources is None:
        return 1
    from ..deploy.deployed import read_deployed_functions

    try:
        read_deployed_functions(project_dir, args.stage or "dev")  # first things first: is it deployed?
    except AofError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    unguarded = unguarded_in_stage(resources, project_dir, args.stage or "dev")
    if unguarded:
        for problem in unguarded:
            print(problem, file=sys.stderr)
        print(f"error: {len(unguarded)} approval node(s) without approvers; nothing applied", file=sys.stderr)
        return 1
    try:
        applied = apply_aws(resources, project_dir, args.stage or "dev", args.prefix, args.region, args.dry_run)
    except AofError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"{len(applied)} change(s) {'planned' if args.dry_run else 'applied'}" if applied else "no changes")
    return 0


def _apply_local(args: argparse.Namespace) -> int:
    from ..deploy.local import apply_local, load_with_applied

    state_dir = settings.state_dir(os.environ)
    try:
        resources, changes = load_with_applied(args.files, state_dir)
        for warning in resources.warnings:
            print(f"warning: {warning}", file=sys.stderr)
        changes += apply_local(resources, state_dir)
    except SpecError as error:
        for problem in error.problems:
            print(problem, file=sys.stderr)
        return 1
    except AofError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    for change in changes:
        print(change.line())
    applied = [c for c in changes if c.action != "unchanged"]
    print(f"{len(applied)} change(s) applied" if applied else "no changes")
    return 0


def apply_aws(
    resources: Resources,
    project_dir: Path,
    stage: str,
    prefix: str | None = None,
    region: str | None = None,
    dry_run: bool = False,
    clients: Mapping[str, Any] | None = None,
) -> list[Any]:
    """Plan against AWS and execute; returns the changes applied (or planned, on a dry run)."""
    from ..deploy.aws import AwsDeployClient
    from ..deploy.deployed import lambda_timeouts, read_deployed_functions
    from ..deploy.desired import desired_state
    from ..deploy.executor import execute
    from ..deploy.observer import observe
    from ..deploy.planner import plan

    functions = read_deployed_functions(project_dir, stage)
    timeouts = lambda_timeouts(project_dir, stage)
    log_level = str(stage_settings(project_dir, stage).get("state_machine_log_level", "ERROR"))
    desired = desired_state(resources, functions, prefix or stage_prefix(project_dir, stage), timeouts, log_level)
    if clients is None:
        import boto3

        region = region or next(iter(functions.values())).split(":")[3]
        services = ("dynamodb", "iam", "stepfunctions", "ssm", "lambda", "logs", "sqs")
        clients = {name: boto3.client(name, region_name=region) for name in services}
    aws = AwsDeployClient(
        dynamodb=clients["dynamodb"],
        iam=clients["iam"],
        stepfunctions=clients["stepfunctions"],
        ssm=clients["ssm"],
        logs=clients["logs"],
        sqs=clients["sqs"],
        lambda_=clients["lambda"],
    )
    the_plan = plan(desired, observe(desired, aws))
    for change in the_plan.changes:
        print(change.line())
    if dry_run:
        return list(the_plan.pending)
    applied = list(execute(desired, the_plan, aws))
    # A deployed stage fails a node whose credential is missing: say so before an incident does.
    report_credentials(resources, project_dir, stage, clients.get("lambda"), "warning: ")
    return applied


def _package(args: argparse.Namespace) -> int:
    from ..deploy.template import merge_template

    project_dir = Path(args.project_dir)
    resources = load_project_resources(args.files, project_dir)
    if resources is None:
        return 1
    from ..deploy.deployed import lambda_timeouts

    stage = args.stage or "dev"
    try:
        template = merge_template(
            resources,
            args.prefix or stage_prefix(project_dir, stage),
            lambda_timeouts(project_dir, stage),
            str(stage_settings(project_dir, stage).get("state_machine_log_level", "ERROR")),
        )
    except SpecError as error:
        for problem in error.problems:
            print(f"error: {problem}", file=sys.stderr)
        return 1
    except AofError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    out = Path(args.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(template, indent=2) + "\n")
    print(f"wrote {out} ({len(template['Resources'])} resources); next: chalice package --merge-template {out} ...")
    return 0
