from __future__ import annotations

from sandbox.testing import sandbox_factory  # noqa: F401 - pytest fixture
