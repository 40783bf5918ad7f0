"""The error for a name that names nothing, with kubectl's "did you mean"."""

from __future__ import annotations

from collections.abc import Iterable

from ..spec.diagnostics import suggest
from .project import default_paths, load_checked


def unknown_name(what: str, name: str, known: Iterable[str]) -> str:
    """``error: no agentflow named 'nope' (did you mean 'x'?); known: x, y``."""
    choices = sorted({k for k in known if k})
    text = f"error: no {what} named {name!r}"
    hint = suggest(name, choices)
    if hint is not None:
        text += f" (did you mean {hint!r}?)"
    return text + (f"; known: {', '.join(choices)}" if choices else "; none is defined")


def loaded_names(kind: str, paths: list[str] | None = None) -> list[str]:
    """Names of the agents (``kind="agents"``) or flows in the project's YAML; none when it
    cannot be read (the caller's error then lists what the store knows)."""
    try:
        resources = load_checked(paths or default_paths())
    except (OSError, ValueError):
        return []
    return list(resources.agents if kind == "agents" else resources.flows)
