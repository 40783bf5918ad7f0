from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest

from sandbox.testing import Sandbox, kubectl_available, running_sandbox, sandbox_factory  # noqa: F401

FAST = 3.0  # simulation speed for tests


@pytest.fixture(scope="module")
def memory_sandbox() -> Iterator[Sandbox]:
    """A read-only TEST001 sandbox shared by a module (tests must not mutate it)."""
    with running_sandbox("test001-high-memory", speed=FAST) as sb:
        yield sb


def need_kubectl() -> None:
    if not shutil.which("kubectl"):
        # .ci/run installs it; a missing kubectl must not pass for a green run.
        pytest.fail("kubectl is not on PATH: install it (Debian: kubernetes-client) to run these tests")
