"""Build the Chalice deployment package and print its size against Lambda's limits.

Writes the merge template (``aofctl package``: table, Step Functions role, state machines,
flow registry), runs ``chalice package --merge-template`` on a clean copy of the project
(``app.py``, ``chalicelib/``, ``.chalice/`` config and policies, ``requirements.txt``),
prints the zipped and unzipped size of ``deployment.zip`` with the largest packages, and runs
``cfn-lint`` on the resulting template. Needs PyPI (chalice fetches Lambda-platform wheels).

    .venv/bin/python bench/package.py [--stage dev] [--out build/package] [--without mcp]

``--without NAME`` drops a requirement first, to see what it costs.
"""

from __future__ import annotations

import argparse
import collections
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
ZIPPED_LIMIT, UNZIPPED_LIMIT, TARGET = 50e6, 250e6, 25e6


def project_copy(without: list[str]) -> Path:
    work = Path(tempfile.mkdtemp(prefix="aof-package-"))
    shutil.copy(ROOT / "app.py", work / "app.py")
    shutil.copytree(ROOT / "chalicelib", work / "chalicelib", ignore=shutil.ignore_patterns("__pycache__"))
    (work / ".chalice").mkdir()
    for item in (ROOT / ".chalice").glob("*.json"):
        shutil.copy(item, work / ".chalice" / item.name)
    dropped = {w.lower() for w in without}
    lines = [
        line
        for line in (ROOT / "requirements.txt").read_text().splitlines()
        if re.split(r"[=<>\[ ]", line.strip(), maxsplit=1)[0].lower() not in dropped
    ]
    (work / "requirements.txt").write_text("\n".join(lines) + "\n")
    # As `make package` does: ship our bytecode, so a cold Lambda does not compile chalicelib.
    compileall = [sys.executable, "-m", "compileall", "-q", "--invalidation-mode", "checked-hash", "chalicelib"]
    subprocess.run(compileall, cwd=work, check=True)
    return work


def sizes(zip_path: Path) -> tuple[int, int, list[tuple[str, int, int]]]:
    zipped: collections.Counter[str] = collections.Counter()
    unzipped: collections.Counter[str] = collections.Counter()
    with zipfile.ZipFile(zip_path) as archive:
        for info in archive.infolist():
            top = info.filename.split("/")[0]
            zipped[top] += info.compress_size
            unzipped[top] += info.file_size
    largest = [(name, size, unzipped[name]) for name, size in zipped.most_common(12)]
    return zip_path.stat().st_size, sum(unzipped.values()), largest


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stage", default="dev")
    parser.add_argument("--out", default=str(ROOT / "build" / "package"))
    parser.add_argument("--without", action="append", default=[], help="requirement to leave out (repeatable)")
    args = parser.parse_args()

    out = Path(args.out).resolve()
    shutil.rmtree(out, ignore_errors=True)
    work = project_copy(args.without)
    env = {**os.environ, "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION", "us-east-1")}
    merge = work / "merge-template.json"
    subprocess.run(
        [sys.executable, "-m", "chalicelib.cli.main", "package", "-f", str(ROOT / "agents"), "-f", str(ROOT / "flows"),
         "--stage", args.stage, "--project-dir", str(work), "-o", str(merge)],
        cwd=ROOT, check=True, env=env,
    )  # fmt: skip
    subprocess.run(
        [str(BIN / "chalice"), "--project-dir", str(work), "package", "--stage", args.stage,
         "--merge-template", str(merge), str(out)],
        check=True, env=env,
    )  # fmt: skip
    zipped, unzipped, largest = sizes(out / "deployment.zip")
    print(f"\nrequirements left out: {', '.join(args.without) or 'none'}")
    print(f"deployment.zip zipped  : {zipped / 1e6:6.1f} MB  (Lambda limit 50 MB, target {TARGET / 1e6:.0f} MB)")
    print(f"deployment.zip unzipped: {unzipped / 1e6:6.1f} MB  (Lambda limit 250 MB)")
    print("largest packages (zipped / unzipped MB):")
    for name, z, u in largest:
        print(f"  {name:40s} {z / 1e6:6.2f} {u / 1e6:7.2f}")
    # Informational checks included: a finding of any level is one to fix.
    lint = subprocess.run(
        [str(BIN / "cfn-lint"), "--include-checks", "I", "--", str(out / "sam.json")], capture_output=True, text=True
    )
    print(
        f"cfn-lint (informational checks included) {out / 'sam.json'}: {'clean' if lint.returncode == 0 else 'problems'}"
    )
    if lint.returncode != 0:
        print(lint.stdout)
    if lint.returncode:
        print(lint.stdout + lint.stderr)
    shutil.rmtree(work, ignore_errors=True)
    ok = zipped <= TARGET and unzipped <= UNZIPPED_LIMIT and lint.returncode == 0
    print("within target" if ok else "NOT within target")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
