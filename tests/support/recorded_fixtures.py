from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from contextlib import redirect_stdout

import pytest

from chalicelib.cli.main import main
from tests.support.recorded import SECRETS, RecordedIncidents, shared_incidents


@pytest.fixture(scope="session")
def incidents() -> RecordedIncidents:
    return shared_incidents()


@pytest.fixture
def aofctl(incidents: RecordedIncidents, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., tuple[int, str]]]:
    """``aofctl(*argv) -> (exit code, stdout)`` in-process on the recorded embedded default."""
    monkeypatch.setenv("AOF_STATE_DIR", str(incidents.state_dir))
    monkeypatch.delenv("AOF_BACKEND", raising=False)
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)

    def run(*argv: str) -> tuple[int, str]:
        buffer = io.StringIO()
        with redirect_stdout(buffer):
            code = main(list(argv))
        return code, buffer.getvalue()

    yield run
