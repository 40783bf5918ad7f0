"""PyYAML's scanner and parser errors told in the product's words: ``file:line:column``, what
is wrong and what to do, with the line quoted. The line is the one the author must change: for
a key left without its ``:`` (often a line that fell out of a ``|`` block) PyYAML reports the
line after it; the start of that key is used instead."""

from __future__ import annotations

import yaml

_IN_WORDS = {
    "mapping values are not allowed here": (
        "a 'key: value' where none can start: this line is indented deeper than the key above it,"
        " or a plain value holds ': ' (quote it)"
    ),
    "could not find expected ':'": (
        "this line is not 'key: value' at its indentation; if it belongs to a '|' block above,"
        " indent it more than the key that opens the block"
    ),
    "did not find expected key": "this line is indented less than the keys around it, or a list item ('- ') is out of place",
    "did not find expected '-' indicator": "a list item ('- ') is expected at this indentation",
}


def describe_yaml_error(error: yaml.MarkedYAMLError, text: str, file: str) -> str:
    """``file:line:column: invalid YAML: <what and what to do>`` and the line itself, quoted."""
    problem = str(error.problem or error)
    mark = error.problem_mark
    if problem.startswith("could not find expected ':'") and error.context_mark is not None:
        mark = error.context_mark
    line = mark.line + 1 if mark else 1
    column = mark.column + 1 if mark else 1
    if "'\\t'" in problem or "\t" in problem:
        said = "a tab character: indent YAML with spaces, not tabs"
    else:
        said = next((words for start, words in _IN_WORDS.items() if problem.startswith(start)), problem)
    lines = text.splitlines()
    quoted = ""
    if 0 < line <= len(lines):
        shown = lines[line - 1].replace("\t", "→")
        quoted = f"\n    {shown}\n    {' ' * (column - 1)}^"
    return f"{file}:{line}:{column}: invalid YAML: {said}{quoted}"
