"""Where references get their values: the :class:`Scope` protocol and a dict-backed scope."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final, Protocol, final

from .syntax import Ref


@final
class _Missing:
    """Type of :data:`MISSING`; falsy, and distinct from ``None`` (a present null)."""

    _instance: _Missing | None = None

    def __new__(cls) -> _Missing:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False


#: Returned by :meth:`Scope.lookup` when a reference has no value.
MISSING: Final = _Missing()


class Scope(Protocol):
    """Resolves references. Implementations return :data:`MISSING` for anything absent."""

    def lookup(self, ref: Ref) -> Any: ...


class MappingScope:
    """A scope over a nested dict.

    ``lookup`` walks ``ref.parts`` through mappings (by key) and lists (by index, when the part is
    all digits). ``ref.default`` is not applied here; the evaluator applies it.
    """

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.data = data

    def lookup(self, ref: Ref) -> Any:
        current: Any = self.data
        for part in ref.parts:
            if isinstance(current, Mapping):
                if part not in current:
                    return MISSING
                current = current[part]
            elif isinstance(current, Sequence) and not isinstance(current, str | bytes):
                index = _index(part)
                if index is None or index >= len(current):
                    return MISSING
                current = current[index]
            else:
                return MISSING
        return current


def _index(part: str) -> int | None:
    # ASCII digits only, and short enough that int() cannot refuse it.
    if not (part.isascii() and part.isdigit()) or len(part) > 18:
        return None
    return int(part)
