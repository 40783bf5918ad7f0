"""The credentials a deployed stage lacks, printed for ``aofctl doctor`` and after ``aofctl apply``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from ..deploy.credentials import findings


def report_credentials(resources: Any, project_dir: Path, stage: str, lambda_client: Any | None, prefix: str) -> int:
    """Print the findings (``prefix`` before each); returns how many credentials are missing."""
    source, lines = findings(resources, project_dir, stage, lambda_client)
    for line in lines:
        print(f"{prefix}{line}", file=sys.stderr)
    if lines:
        print(
            f"({len(lines)} finding(s) read from {source}: a deployed stage fails these nodes by name)", file=sys.stderr
        )
    return len(lines)
