"""The recorded sandbox incidents and an in-process aofctl, shared with tests/views."""

from tests.reports.fixtures import aofctl, incidents

__all__ = ["aofctl", "incidents"]
