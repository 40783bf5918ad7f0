"""``aofctl doctor --stage S``: what a deployed stage lacks, before an incident finds out.

Today it checks the credentials each function needs for the stage's flows (see
:mod:`chalicelib.deploy.credentials`); exit status 1 when one is missing.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ..errors import ConfigurationError
from .credentials_report import report_credentials
from .project import load_project_resources

# Imported when the check runs, not when ``aofctl`` starts: the deployed functions (12 ms), boto3 (130 ms).


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    doctor = subparsers.add_parser("doctor", help="check a deployed stage's configuration (credentials)")
    doctor.add_argument("--stage", required=True, help="Chalice stage to check")
    doctor.add_argument("--project-dir", default=".", help="the Chalice project (where .chalice/ is)")
    doctor.add_argument(
        "-f",
        "--filename",
        dest="files",
        action="append",
        default=None,
        help="YAML file or directory (default: agents/ and flows/)",
    )
    doctor.add_argument("--region", default=None, help="AWS region (default: from the deployed functions' ARNs)")
    doctor.set_defaults(handler=_doctor)


def lambda_client_for(project_dir: Path, stage: str, region: str | None) -> Any | None:
    """A Lambda client in the deployed functions' region, or None when nothing is deployed."""
    from ..deploy.deployed import read_deployed_functions

    try:
        functions = read_deployed_functions(project_dir, stage)
    except ConfigurationError:
        return None
    import boto3

    return boto3.client("lambda", region_name=region or next(iter(functions.values())).split(":")[3])


def _doctor(args: argparse.Namespace) -> int:
    project_dir = Path(args.project_dir)
    files = args.files or [str(project_dir / "agents"), str(project_dir / "flows")]
    resources = load_project_resources(files, project_dir)
    if resources is None:
        return 1
    client = lambda_client_for(project_dir, args.stage, args.region)
    count = report_credentials(resources, project_dir, args.stage, client, "missing: ")
    if count:
        print(f"stage {args.stage}: {count} credential(s) missing", file=sys.stderr)
        return 1
    print(f"stage {args.stage}: every credential its flows need is set")
    return 0
