"""YAML reading that keeps line numbers and refuses ambiguous documents.

PyYAML silently keeps the last of two equal keys; upstream AOF inherits that and its users
lose configuration without a word. We compose the node tree ourselves so that every value
keeps the line it came from and a repeated key is either an error naming both lines or,
for the tutorial's repeated ``to:`` under one connection, a list of targets with a warning.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

Path = tuple[str | int, ...]

#: Keys that may repeat inside one mapping: their values are collected into a list.
#: The AOF tutorial writes a fan-out connection as repeated ``to:`` lines.
REPEATABLE_KEYS = frozenset({"to"})


@dataclass
class SourceDocument:
    """One YAML document: its data, and the line of every path within it."""

    file: str
    data: Any
    lines: dict[Path, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    start_line: int = 1
    #: ``|`` block scalars: the line their text starts on, and the text.
    blocks: dict[Path, tuple[int, str]] = field(default_factory=dict)

    def line_in(self, path: Path, *, offset: int | None = None, fragment: str | None = None) -> int:
        """The line of a character inside the value at ``path``: for a ``|`` block, the real
        line of ``offset`` (or of the first ``fragment``), not the line of the block's key."""
        block = self.blocks.get(tuple(path))
        if block is not None:
            first, text = block
            if offset is None and fragment:
                found = text.find(fragment)
                offset = found if found >= 0 else None
            if offset is not None and 0 <= offset <= len(text):
                return first + text[:offset].count("\n")
        return self.line_of(path)

    def line_of(self, path: Path) -> int:
        """The line of ``path``, or of its nearest ancestor that has one."""
        probe = tuple(path)
        while probe:
            if probe in self.lines:
                return self.lines[probe]
            probe = probe[:-1]
        return self.lines.get((), self.start_line)


class _Builder:
    def __init__(self, doc: SourceDocument) -> None:
        self.doc = doc
        self.constructor = SafeConstructor()

    def build(self, node: Node, path: Path) -> Any:
        self.doc.lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, MappingNode):
            return self._mapping(node, path)
        if isinstance(node, SequenceNode):
            return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
        if isinstance(node, ScalarNode):
            value = self.constructor.construct_object(node, deep=True)
            if node.style == "|" and isinstance(value, str):
                # The mark is on the `|` line; the text starts on the next one.
                self.doc.blocks[path] = (node.start_mark.line + 2, value)
            return value
        raise yaml.YAMLError(f"unsupported YAML node at line {node.start_mark.line + 1}")

    def _mapping(self, node: MappingNode, path: Path) -> dict[str, Any]:
        result: dict[str, Any] = {}
        first_line: dict[str, int] = {}
        repeated: set[str] = set()
        self.constructor.flatten_mapping(node)
        for key_node, value_node in node.value:
            key = self.constructor.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            if not isinstance(key, str):
                key = str(key)
            child_path = (*path, key)
            if key in result:
                if key in REPEATABLE_KEYS:
                    if key not in repeated:
                        repeated.add(key)
                        previous = result[key]
                        result[key] = list(previous) if isinstance(previous, list) else [previous]
                        self.doc.warnings.append(
                            f"{self.doc.file}:{line}: repeated '{key}:' key (first at line "
                            f"{first_line[key]}) read as a list of targets; write "
                            f"'{key}: [a, b]' to silence this warning"
                        )
                    value = self.build(value_node, (*child_path, len(result[key])))
                    result[key].extend(value if isinstance(value, list) else [value])
                    continue
                self.doc.errors.append(
                    f"{self.doc.file}:{line}: duplicate key '{key}' (first defined at line "
                    f"{first_line[key]}); YAML would silently keep only the last one"
                )
                continue
            first_line[key] = line
            self.doc.lines[child_path] = line
            result[key] = self.build(value_node, child_path)
        return result


def read_documents(text: str, file: str) -> Iterator[SourceDocument]:
    """Yield every non-empty document in ``text``. Raises ``yaml.YAMLError`` on bad syntax."""
    loader = yaml.SafeLoader(text)
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is None:
                continue
            doc = SourceDocument(file=file, data=None, start_line=node.start_mark.line + 1)
            doc.data = _Builder(doc).build(node, ())
            if doc.data is not None:
                yield doc
    finally:
        loader.dispose()
