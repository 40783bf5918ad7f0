"""Small immutable value classes, typed like frozen dataclasses, that cost nothing to define.

Why not :mod:`dataclasses`: it writes each class's ``__init__``, ``__eq__``, ``__repr__``... as
source and ``exec``s them when the module is imported, and it imports ``inspect`` (with ``ast``
and ``dis``). The webhook Lambda defines 26 value classes before it can answer PagerDuty.
Measured by ``bench/records.py`` (the same tree with every ``Record`` rewritten to a frozen
dataclass, median of 11 fresh processes, Python 3.11): the webhook path's cold import takes
71.6 ms with ``Record`` and 88.0 ms with dataclasses: +16 ms or +23%, over twice the 10% the
path may grow by. pydantic is out for the same reason (about 50 ms). :class:`Record` gives
every subclass the same generic methods instead, and type checkers see a dataclass (PEP 681,
``dataclass_transform``).

    class Incident(Record):
        id: str
        title: str = ""
        details: dict[str, Any] = field(default_factory=dict)

Fields are the class's annotations, in order, after its bases'. Instances are frozen; a change
is a new instance (:func:`replace`), checked by the class's ``__post_init__`` when it has one.
``class X(Record, kw_only=True)`` takes keyword arguments only (then a field without a default
may follow one with a default).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any, ClassVar, TypeVar, dataclass_transform

T = TypeVar("T")
R = TypeVar("R", bound="Record")

_REQUIRED = object()


class _Factory:
    __slots__ = ("make",)

    def __init__(self, make: Callable[[], Any]) -> None:
        self.make = make


def field(*, default_factory: Callable[[], T]) -> T:
    """A default built anew for each instance, like ``dataclasses.field(default_factory=...)``."""
    return _Factory(default_factory)  # type: ignore[return-value]  # what the annotation says, once built


class FrozenRecordError(AttributeError):
    """A record's fields cannot be assigned; make a changed copy with :func:`replace`."""


@dataclass_transform(frozen_default=True, field_specifiers=(field,))
class Record:
    __slots__ = ()
    _fields: ClassVar[tuple[str, ...]] = ()
    _defaults: ClassVar[dict[str, Any]] = {}
    _kw_only: ClassVar[bool] = False

    def __init_subclass__(cls, *, kw_only: bool = False, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        names = list(cls._fields)
        defaults = dict(cls._defaults)
        # Not inspect.get_annotations: importing inspect is what this module avoids.
        for name, annotation in cls.__dict__.get("__annotations__", {}).items():  # noqa: RUF063
            if str(annotation).startswith(("ClassVar", "typing.ClassVar")):
                continue
            if name not in names:
                names.append(name)
            if name in cls.__dict__:
                defaults[name] = cls.__dict__[name]
                if isinstance(defaults[name], _Factory):
                    delattr(cls, name)  # the class keeps no factory where a value is expected
            elif not kw_only and any(n in defaults for n in names[:-1]) and name not in defaults:
                raise TypeError(f"{cls.__name__}: field {name!r} without a default follows one with a default")
        cls._fields = tuple(names)
        cls._defaults = defaults
        cls._kw_only = kw_only

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        cls = type(self)
        if args:
            if cls._kw_only:
                raise TypeError(f"{cls.__name__}() takes keyword arguments only")
            if len(args) > len(cls._fields):
                raise TypeError(f"{cls.__name__}() takes {len(cls._fields)} arguments, {len(args)} given")
            for name, value in zip(cls._fields, args, strict=False):
                if name in kwargs:
                    raise TypeError(f"{cls.__name__}() got multiple values for {name!r}")
                kwargs[name] = value
        for name in cls._fields:
            if name in kwargs:
                value = kwargs.pop(name)
            else:
                value = cls._defaults.get(name, _REQUIRED)
                if value is _REQUIRED:
                    raise TypeError(f"{cls.__name__}() missing required argument {name!r}")
                if isinstance(value, _Factory):
                    value = value.make()
            object.__setattr__(self, name, value)
        if kwargs:
            raise TypeError(f"{cls.__name__}() got an unexpected keyword argument {next(iter(kwargs))!r}")
        post_init = getattr(self, "__post_init__", None)
        if post_init is not None:
            post_init()

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self._fields)

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self._values() == other._values()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash((type(self), self._values()))

    def __repr__(self) -> str:
        shown = ", ".join(f"{n}={getattr(self, n)!r}" for n in self._fields if not n.startswith("_"))
        return f"{type(self).__name__}({shown})"

    def __setattr__(self, name: str, value: Any) -> None:
        raise FrozenRecordError(f"cannot assign to field {name!r} of {type(self).__name__}")

    def __delattr__(self, name: str) -> None:
        raise FrozenRecordError(f"cannot delete field {name!r} of {type(self).__name__}")


def fields(record: Record | type[Record]) -> tuple[str, ...]:
    """The field names of a record class or instance, in order."""
    return record._fields


def replace(record: R, **changes: Any) -> R:
    """A copy of ``record`` with ``changes``; unknown names are refused like a constructor would."""
    values = {name: getattr(record, name) for name in record._fields}
    values.update(changes)
    return type(record)(**values)


def asdict(record: Record) -> dict[str, Any]:
    """The record as plain values: nested records, dicts, lists and tuples copied deeply."""
    return {name: _plain(getattr(record, name)) for name in record._fields}


def _plain(value: Any) -> Any:
    if isinstance(value, Record):
        return asdict(value)
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_plain(item) for item in value)
    if isinstance(value, str | int | float | bool | type(None)):
        return value
    return copy.deepcopy(value)
