"""The application layer: flows, store, runtime and node handlers wired for one backend."""

from .outcome import outcome_of

__all__ = ["outcome_of"]
