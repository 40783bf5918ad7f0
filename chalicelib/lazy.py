"""Package exports that resolve on first use.

The webhook route must answer fast from a cold Lambda: a package ``__init__`` that imported
every module it re-exports would load the engine, the store and their dependencies for a route
that needs one class. ``lazy_exports`` gives a package a module ``__getattr__`` instead.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(package: str, exports: Mapping[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` for ``package``: ``exports`` maps a name to its relative module."""

    def __getattr__(name: str) -> Any:
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module, package), name)
        setattr(sys.modules[package], name, value)
        return value

    return __getattr__
