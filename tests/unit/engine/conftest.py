from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from chalicelib.engine.clock import FakeClock
from chalicelib.engine.engine import Engine
from chalicelib.engine.invoker import FunctionInvoker
from tests.support.engine_flows import Stubs


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def stubs() -> Stubs:
    return Stubs()


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "engine.db"


@pytest.fixture
def engine(db: Path, stubs: Stubs, clock: FakeClock) -> Iterator[Engine]:
    eng = Engine(db, FunctionInvoker(stubs), clock=clock)
    yield eng
    eng.close()
