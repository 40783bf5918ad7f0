"""The test tiers (tests/README.md): each test is in exactly one, each tier has its make
target, and nothing in the suite can pass by skipping."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TESTS = ROOT / "tests"


def tiers() -> dict[str, list[str]]:
    """``make test-<tier>``: the folders it runs, as the Makefile says."""
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    found = re.findall(r"^test-([a-z]+):.*\n\t\$\(BIN\)/pytest ((?:tests/\S+ ?)+)$", makefile, re.MULTILINE)
    return {name: folders.split() for name, folders in found}


def test_every_test_module_is_in_exactly_one_tier() -> None:
    by_tier = tiers()
    assert set(by_tier) == {"unit", "local", "cloud", "sandbox", "conformance", "evaluation"}
    homes: dict[str, list[str]] = {}
    for module in sorted(TESTS.rglob("test_*.py")):
        relative = module.relative_to(ROOT).as_posix()
        if "/cases/" in relative:  # the conformance corpus's data
            continue
        homes[relative] = [
            tier for tier, folders in by_tier.items() if any(relative.startswith(f + "/") for f in folders)
        ]
    assert {module: found for module, found in homes.items() if len(found) != 1} == {}
    assert len(homes) > 150


def test_the_golden_file_is_only_rewritten_by_make_golden() -> None:
    writers = [
        str(path.relative_to(ROOT))
        for path in TESTS.rglob("*.py")
        if "UPDATE_GOLDEN" in path.read_text(encoding="utf-8") and path != Path(__file__)
    ]
    assert writers == []
    assert "python -m tests.unit.compiler.test_golden" in (ROOT / "Makefile").read_text(encoding="utf-8")


def test_a_skipped_test_fails_the_run(tmp_path: Path) -> None:
    (tmp_path / "conftest.py").write_text("from tests.conftest import pytest_runtest_makereport  # noqa: F401\n")
    (tmp_path / "test_needs_a_tool.py").write_text(
        "import pytest\n\n\ndef test_needs_a_tool():\n    pytest.skip('kubectl not on PATH')\n"
    )
    ran = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert ran.returncode == 1, ran.stdout + ran.stderr
    assert "1 failed" in ran.stdout and "skipped" not in ran.stdout.splitlines()[-1]
    assert "skipped (kubectl not on PATH): this suite has no skips" in ran.stdout
