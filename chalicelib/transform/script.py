"""Parse the shell-looking scripts of ``Transform`` nodes without ever running a shell.

The tutorial's scripts use three forms and nothing else: ``export NAME="template"`` lines,
``cat > FILE <<EOF`` heredocs, and comments. We read exactly those. Values inserted into
templates later are data: an incident title full of ``$(...)`` is only text, because nothing
here is ever re-parsed or executed. The one command substitution the tutorial uses,
``$(date -u +FORMAT)``, is recognised and evaluated in Python; any other is refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ..errors import SpecError

_EXPORT = re.compile(r"^(?:export\s+)?(?P<name>[A-Za-z_][A-Za-z0-9_]*)=(?P<value>.*)$")
_HEREDOC = re.compile(
    r"^cat\s*>\s*(?P<path>\S+)\s*<<(?P<dash>-?)\s*(?P<quote>['\"]?)(?P<delim>[A-Za-z_][A-Za-z0-9_]*)(?P=quote)\s*$"
)
_DATE = re.compile(r"\$\(date(?P<utc>\s+-u)?\s+\+(?P<format>[^)\s]+)\)")
_OTHER_SUBSTITUTION = re.compile(r"\$\(|`")


@dataclass(frozen=True)
class Export:
    name: str
    #: A template string (double-quoted or bare word), or a typed literal (bare true/false/number).
    value: str | bool | int | float
    is_template: bool
    line: int


@dataclass(frozen=True)
class WriteFile:
    path: str
    content: str
    line: int
    #: strftime formats of ``$(date -u +FORMAT)`` placeholders, by placeholder token.
    dates: dict[str, str] = field(default_factory=dict)


@dataclass
class Script:
    statements: list[Export | WriteFile]

    @property
    def exports(self) -> list[Export]:
        return [s for s in self.statements if isinstance(s, Export)]

    @property
    def writes(self) -> list[WriteFile]:
        return [s for s in self.statements if isinstance(s, WriteFile)]


def _bare_value(raw: str) -> tuple[str | bool | int | float, bool]:
    if raw in ("true", "false"):
        return raw == "true", False
    if re.fullmatch(r"-?\d+", raw):
        return int(raw), False
    if re.fullmatch(r"-?\d+\.\d+", raw):
        return float(raw), False
    return raw, True


def _export_value(raw: str, line: int, where: str) -> tuple[str | bool | int | float, bool]:
    raw = raw.strip()
    if raw.startswith('"'):
        if len(raw) < 2 or not raw.endswith('"') or raw.endswith('\\"'):
            raise SpecError(f"{where}: line {line}: unterminated double-quoted value")
        body = raw[1:-1]
        if _OTHER_SUBSTITUTION.search(body):
            raise SpecError(f"{where}: line {line}: command substitution is not supported in Transform scripts")
        return body.replace('\\"', '"').replace("\\\\", "\\"), True
    if raw.startswith("'"):
        if len(raw) < 2 or not raw.endswith("'"):
            raise SpecError(f"{where}: line {line}: unterminated single-quoted value")
        # Single quotes mean literal text in a shell: no templates either.
        return raw[1:-1].replace("${", "$\u200b{"), False
    if re.search(r"\s|[;&|<>`]|\$\(", raw):
        raise SpecError(f"{where}: line {line}: quote the value of an export that contains spaces or shell operators")
    return _bare_value(raw)


def parse_script(text: str, where: str = "script") -> Script:
    """Parse a Transform script; raise :class:`SpecError` naming the line of anything else."""
    statements: list[Export | WriteFile] = []
    problems: list[str] = []
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        number = index + 1
        stripped = lines[index].strip()
        index += 1
        if not stripped or stripped.startswith("#"):
            continue
        heredoc = _HEREDOC.match(stripped)
        if heredoc:
            delimiter = heredoc["delim"]
            body: list[str] = []
            closed = False
            while index < len(lines):
                current = lines[index]
                index += 1
                if current.strip() == delimiter:
                    closed = True
                    break
                body.append(current)
            if not closed:
                problems.append(f"{where}: line {number}: heredoc is never closed by a '{delimiter}' line")
                continue
            content, dates = _substitute_dates("\n".join(body) + "\n")
            if _OTHER_SUBSTITUTION.search(content):
                problems.append(
                    f"{where}: line {number}: command substitution other than $(date -u +FORMAT) is not "
                    f"supported in Transform scripts"
                )
                continue
            statements.append(WriteFile(path=heredoc["path"], content=content, line=number, dates=dates))
            continue
        export = _EXPORT.match(stripped)
        if export:
            try:
                value, is_template = _export_value(export["value"], number, where)
            except SpecError as error:
                problems.append(error.message)
                continue
            statements.append(Export(export["name"], value, is_template, number))
            continue
        problems.append(
            f"{where}: line {number}: unsupported statement {stripped[:60]!r}; Transform scripts accept "
            f"'export NAME=\"value\"', 'cat > FILE <<EOF' heredocs and comments, and are never run by a shell"
        )
    if problems:
        raise SpecError(problems[0], problems)
    return Script(statements)


def _substitute_dates(content: str) -> tuple[str, dict[str, str]]:
    dates: dict[str, str] = {}

    def replace(match: re.Match[str]) -> str:
        token = f"\x00date{len(dates)}\x00"
        dates[token] = match["format"]
        return token

    return _DATE.sub(replace, content), dates


def export_names(script: Script) -> dict[str, Any]:
    """Names a script exports, with their literal value when it is a typed literal."""
    return {e.name: (None if e.is_template else e.value) for e in script.exports}
