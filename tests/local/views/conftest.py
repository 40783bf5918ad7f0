"""The recorded sandbox incidents and an in-process aofctl (defined in tests/support/recorded_fixtures.py)."""

from tests.support.recorded_fixtures import aofctl, incidents

__all__ = ["aofctl", "incidents"]
