"""The recorded sandbox incidents and an in-process aofctl (defined in tests/reports/fixtures.py)."""

from tests.reports.fixtures import aofctl, incidents

__all__ = ["aofctl", "incidents"]
