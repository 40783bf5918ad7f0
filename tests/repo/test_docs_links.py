"""The documentation names only files a reader of the repository has."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
_LINK = re.compile(r"\]\(([^)#\s]+)[^)]*\)|`(\.\.?/[^`\s]+)`")


def test_no_link_in_the_docs_leads_out_of_the_repository_or_nowhere() -> None:
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
    bad = []
    for page in pages:
        for match in _LINK.finditer(page.read_text(encoding="utf-8")):
            target = match[1] or match[2]
            if re.match(r"^[a-z]+:", target):
                continue  # a web address, not a file
            path = (page.parent / target).resolve()
            if not path.is_relative_to(ROOT) or not path.exists():
                bad.append(f"{page.relative_to(ROOT)}: {target}")
    assert bad == []


_MODULE = re.compile(r"`((?:chalicelib/)?[a-z_]+(?:/[a-z_]+)*\.py)`")


def test_every_module_the_architecture_page_walks_through_exists() -> None:
    """The incident walk-through names modules by path (``service/runs.py``): a move or a
    rename that leaves the page behind fails here."""
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    named = {m[1] for m in _MODULE.finditer(text)}
    assert len(named) > 30
    missing = []
    for path in sorted(named):
        if "/" not in path:  # a module of the package a table is about (`gate.py`)
            found = (ROOT / path).exists() or any((ROOT / "chalicelib").rglob(path))
        else:
            found = (ROOT / path).exists() or (ROOT / "chalicelib" / path).exists()
        if not found:
            missing.append(path)
    assert missing == []
