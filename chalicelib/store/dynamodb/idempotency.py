from __future__ import annotations

from typing import Any

from chalicelib.store import codec, rules
from chalicelib.store.dynamodb.table import ConditionFailed, Item, Table, data_of, n, number_of, s, ttl
from chalicelib.store.errors import InProgress
from chalicelib.store.records import IdempotencyRecord
from chalicelib.store.timeutil import Clock, iso_from_epoch

_SK = "IDEMPOTENCY"


def _pk(key: str) -> str:
    return f"IDEMPOTENCY#{key}"


def _item(record: IdempotencyRecord) -> Item:
    return {
        "pk": s(_pk(record.key)),
        "sk": s(_SK),
        "data": s(codec.dumps(record.to_dict())),
        "expires_at": ttl(record.expires_at),
    }


class DynamoIdempotencyStore:
    """The powertools pattern: claim with ``attribute_not_exists(pk) OR expires_at <= now``."""

    def __init__(self, table: Table, clock: Clock) -> None:
        self._table = table
        self._clock = clock

    def _live(self, key: str, now: float) -> IdempotencyRecord | None:
        item = self._table.get(_pk(key), _SK)
        if item is None or number_of(item, "expires_at") <= now:
            return None
        record = IdempotencyRecord.from_dict(data_of(item))
        return record if record.expires_at > now else None

    def begin(self, key: str, ttl_seconds: int) -> IdempotencyRecord | None:
        rules.check_positive(ttl_seconds=ttl_seconds)
        now = self._clock()
        claim = IdempotencyRecord(
            key=key, status="in_progress", started_at=iso_from_epoch(now), expires_at=now + ttl_seconds
        )
        try:
            self._table.put(_item(claim), "attribute_not_exists(pk) OR expires_at <= :now", values={":now": n(now)})
        except ConditionFailed as failed:
            if failed.item is None:
                raise InProgress(f"idempotency key {key!r} is in progress") from None
            existing = IdempotencyRecord.from_dict(data_of(failed.item))
            if existing.status == "completed":
                return existing
            raise InProgress(f"idempotency key {key!r} is in progress", existing.to_dict()) from None
        return None

    def complete(self, key: str, result: dict[str, Any], ttl_seconds: int | None = None) -> IdempotencyRecord:
        retention = rules.IDEMPOTENCY_RETENTION_SECONDS if ttl_seconds is None else ttl_seconds
        now = self._clock()
        existing = self._live(key, now)
        record = IdempotencyRecord(
            key=key,
            status="completed",
            result=result,
            started_at=existing.started_at if existing else iso_from_epoch(now),
            completed_at=iso_from_epoch(now),
            expires_at=now + retention,
        )
        self._table.put(_item(record))
        return record

    def get(self, key: str) -> IdempotencyRecord | None:
        return self._live(key, self._clock())
