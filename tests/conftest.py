"""Fixtures every test directory may use."""

from tests.support.processes import processes  # noqa: F401  (fixture: started processes are always stopped)
