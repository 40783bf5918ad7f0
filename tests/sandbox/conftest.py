from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest

from sandbox.testing import (  # noqa: F401  (fixtures)
    KUBECTL,
    KUBECTL_MISSING,
    Sandbox,
    kubectl_available,
    running_sandbox,
    sandbox_factory,
)

FAST = 3.0  # simulation speed for tests


@pytest.fixture(scope="module")
def memory_sandbox() -> Iterator[Sandbox]:
    """A read-only TEST001 sandbox shared by a module (tests must not mutate it)."""
    with running_sandbox("test001-high-memory", speed=FAST) as sb:
        yield sb


def need_kubectl() -> str:
    """kubectl's path; without one the test fails (.ci/run installs it; a missing kubectl must
    never pass for a green run)."""
    path = shutil.which(KUBECTL)
    if not path:
        pytest.fail(KUBECTL_MISSING, pytrace=False)
    return path
