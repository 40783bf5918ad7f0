"""What :class:`chalicelib.record.Record` saves at cold start, against plain frozen dataclasses.

The webhook path defines its value classes (the incident, the webhook request and response,
the store records, the run admission, the flow registry entry...) with ``Record``. This bench
copies ``app.py`` and ``chalicelib/`` twice: once as they are, once with every ``Record``
class rewritten to a ``@dataclass(frozen=True)`` (``kw_only=True`` kept, ``field``, ``asdict``
and ``replace`` taken from :mod:`dataclasses`). It then times importing the webhook path's
modules (the list ``bench/coldstart.py`` probes) from each copy, interleaved, in fresh
processes, with bytecode compiled as ``make deploy`` ships it.

    .venv/bin/python bench/records.py [--runs 15]
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from coldstart import route_modules

ROOT = Path(__file__).resolve().parent.parent

IMPORT = re.compile(r"^from chalicelib\.record import (?P<names>.+)$", re.M)
CLASS = re.compile(r"^class (?P<name>\w+)\((?P<base>_?Record)(?P<kw>, kw_only=True)?\):$", re.M)


def as_dataclasses(source: str) -> tuple[str, int]:
    """``source`` with its ``Record`` classes rewritten as frozen dataclasses, and how many."""
    source = IMPORT.sub(
        lambda m: "from dataclasses import " + m["names"].replace("Record", "dataclass"),
        source,
    )

    def decorated(m: re.Match[str]) -> str:
        options = "frozen=True" + (", kw_only=True" if m["kw"] else "")
        bases = "(_Record)" if m["base"] == "_Record" else ""
        return f"@dataclass({options})\nclass {m['name']}{bases}:"

    source, count = CLASS.subn(decorated, source)
    return source.replace("cls._fields", "cls.__dataclass_fields__"), count


def copies() -> tuple[Path, Path, int]:
    as_is, rewritten = (Path(tempfile.mkdtemp(prefix=f"aof-records-{n}-")) for n in ("record", "dataclass"))
    classes = 0
    for copy in (as_is, rewritten):
        shutil.copy(ROOT / "app.py", copy / "app.py")
        shutil.copytree(ROOT / "chalicelib", copy / "chalicelib", ignore=shutil.ignore_patterns("__pycache__"))
    for path in (rewritten / "chalicelib").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        if "chalicelib.record import" in text:
            new, count = as_dataclasses(text)
            path.write_text(new, encoding="utf-8")
            classes += count
    compileall = [sys.executable, "-m", "compileall", "-q", "--invalidation-mode", "checked-hash"]
    for copy in (as_is, rewritten):
        subprocess.run([*compileall, "chalicelib", "app.py"], cwd=copy, check=True, stdout=subprocess.DEVNULL)
    return as_is, rewritten, classes


def timed(code: str, where: Path) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], cwd=where, check=True, env={"PATH": "/usr/bin:/bin"})
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    webhook = "import app; import " + ", ".join(route_modules("pagerduty"))
    as_is, rewritten, classes = copies()
    print(f"webhook path: app.py and the chalicelib modules TEST001 loads; {classes} Record classes rewritten")
    runs: dict[str, tuple[str, Path]] = {
        "bare": ("pass", as_is),
        "webhook path, Record": (webhook, as_is),
        "webhook path, dataclasses": (webhook, rewritten),
    }
    for code, where in runs.values():  # warm the OS file cache; fails loudly if a copy is broken
        timed(code, where)
    samples: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(args.runs):
        for name, (code, where) in runs.items():
            samples[name].append(timed(code, where))
    for copy in (as_is, rewritten):
        shutil.rmtree(copy)
    medians = {name: statistics.median(values) * 1000 for name, values in samples.items()}
    print(f"median of {args.runs} fresh processes each ({sys.version.split()[0]})")
    for name, value in medians.items():
        print(f"  {name:28s} {value:7.1f} ms")
    extra = medians["webhook path, dataclasses"] - medians["webhook path, Record"]
    share = extra / medians["webhook path, Record"]
    print(f"dataclasses instead of Record: {extra:+.1f} ms ({share:+.0%} of the webhook path's cold import)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
