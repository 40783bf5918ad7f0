"""``open_store(url)``: the one place a backend is chosen."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from chalicelib.errors import ConfigurationError
from chalicelib.store.dynamodb import ensure_tables, open_dynamodb
from chalicelib.store.facade import Store
from chalicelib.store.timeutil import Clock, system_clock

# Each backend is imported when it is opened: SQLite's (3 to 4 ms), boto3 (130 ms).

_TRUE = {"1", "true", "yes"}


def open_store(url: str, *, dynamodb_client: Any = None, clock: Clock | None = None) -> Store:
    """Open a store from a URL.

    - ``sqlite:///abs/path.db`` (parent directories are created), ``sqlite://:memory:``
    - ``dynamodb://<table-prefix>?region=us-east-1`` with optional ``endpoint_url=...`` and
      ``create=true`` (run :func:`ensure_tables` first, for local tools and tests). Without
      ``dynamodb_client`` a boto3 client is built from the region and endpoint.
    """
    tick = clock or system_clock
    scheme, _, rest = url.partition("://")
    if scheme == "sqlite":
        return _open_sqlite(rest, tick, url)
    if scheme == "dynamodb":
        return _open_dynamodb(url, dynamodb_client, tick)
    raise ConfigurationError(f"unknown store URL {url!r}; use sqlite:///path.db or dynamodb://prefix")


def _open_sqlite(path: str, clock: Clock, url: str) -> Store:
    from chalicelib.store.sqlite import open_sqlite

    if not path:
        raise ConfigurationError(f"store URL {url!r} names no SQLite file")
    if path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    return open_sqlite(path, clock)


def _open_dynamodb(url: str, client: Any, clock: Clock) -> Store:
    parts = urlsplit(url)
    prefix = parts.netloc
    if not prefix:
        raise ConfigurationError(f"store URL {url!r} names no table prefix")
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    if client is None:
        import boto3  # imported here so the SQLite path never pays for it

        client = boto3.client("dynamodb", region_name=query.get("region"), endpoint_url=query.get("endpoint_url"))
    if query.get("create", "").lower() in _TRUE:
        ensure_tables(client, prefix)
    return open_dynamodb(client, prefix, clock)
