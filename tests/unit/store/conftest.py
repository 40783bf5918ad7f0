"""Every behaviour runs against both backends through the ``store`` fixture."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from chalicelib.store import Store, ensure_tables, open_store

START = 1_800_000_000.0  # 2027-01-15T08:00:00Z


class FakeClock:
    """Epoch seconds that only move when a test says so."""

    def __init__(self, now: float = START) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def dynamodb_client(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    with mock_aws():
        yield boto3.client("dynamodb", region_name="us-east-1")


def open_backend(request: pytest.FixtureRequest, backend: str, tmp_path: Path, clock: FakeClock) -> Store:
    if backend == "sqlite":
        return open_store(f"sqlite:///{tmp_path}/aof.db", clock=clock)
    client = request.getfixturevalue("dynamodb_client")
    ensure_tables(client, "test")
    return open_store("dynamodb://test?region=us-east-1", dynamodb_client=client, clock=clock)


@pytest.fixture(params=["sqlite", "dynamodb"])
def store(request: pytest.FixtureRequest, tmp_path: Path, clock: FakeClock) -> Iterator[Store]:
    opened = open_backend(request, request.param, tmp_path, clock)
    yield opened
    opened.close()
