"""The recorded sandbox incidents and an in-process aofctl (defined in
tests/support/recorded_fixtures.py, shared with tests/local/views)."""

from tests.support.recorded_fixtures import aofctl, incidents

__all__ = ["aofctl", "incidents"]
