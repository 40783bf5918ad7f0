from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from chalicelib.errors import ConfigurationError
from chalicelib.store import RunRecord, open_store


def test_sqlite_file_survives_reopen_and_parent_is_created(tmp_path: Path) -> None:
    path = tmp_path / "state" / "nested" / "aof.db"
    with open_store(f"sqlite://{path}") as first:
        first.runs.create_run(RunRecord(run_id="r1", flow="f"))

    with open_store(f"sqlite://{path}") as second:
        assert second.backend == "sqlite"
        loaded = second.runs.get_run("r1")
        assert loaded is not None and loaded.flow == "f"


def test_sqlite_memory(tmp_path: Path) -> None:
    with open_store("sqlite://:memory:") as store:
        store.runs.create_run(RunRecord(run_id="r1", flow="f"))
        assert [r.run_id for r in store.runs.list_runs()] == ["r1"]


def test_dynamodb_url_with_create(dynamodb_client: Any) -> None:
    store = open_store("dynamodb://dev?region=us-east-1&create=true", dynamodb_client=dynamodb_client)

    store.runs.create_run(RunRecord(run_id="r1", flow="f"))

    assert store.backend == "dynamodb"
    assert "dev-store" in dynamodb_client.list_tables()["TableNames"]


def test_dynamodb_client_built_from_url(dynamodb_client: Any) -> None:
    store = open_store("dynamodb://dev?region=us-east-1&create=1")

    store.deliveries.record_delivery("evt-1", {"ok": True})

    assert store.deliveries.get_delivery("evt-1") == {"ok": True}


@pytest.mark.parametrize("url", ["postgres://x", "sqlite://", "dynamodb://", "no-scheme"])
def test_bad_urls_are_configuration_errors(url: str) -> None:
    with pytest.raises(ConfigurationError):
        open_store(url)
