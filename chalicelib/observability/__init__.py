"""Structured logs: the run fields every line carries, where lines go, secrets masked.

This package's ``__init__`` stays light (the API routes import it); the Powertools Logger is
in :mod:`.logging`, the node wrapper and the engine's lines in :mod:`.runs`, the policy
gate's in :mod:`.policy`.
"""

from .lines import RUN_FIELDS, SERVICE, bind, bound, system_log, write_to_file, write_to_state_dir
from .redaction import MASK, Redactor, secret_name

__all__ = [
    "MASK",
    "RUN_FIELDS",
    "SERVICE",
    "Redactor",
    "bind",
    "bound",
    "secret_name",
    "system_log",
    "write_to_file",
    "write_to_state_dir",
]
