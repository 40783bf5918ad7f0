from __future__ import annotations

from typing import Any

from chalicelib.errors import AlreadyExists, StoreUnavailable
from chalicelib.store import codec, rules
from chalicelib.store.dynamodb.table import MAX_ATTEMPTS, ConditionFailed, Item, Table, data_of, n, number_of, s, ttl
from chalicelib.store.timeutil import Clock

_SK = "DELIVERY"


def _pk(delivery_id: str) -> str:
    return f"DELIVERY#{delivery_id}"


class DynamoDeliveryStore:
    def __init__(self, table: Table, clock: Clock, retention_seconds: int = rules.DELIVERY_RETENTION_SECONDS) -> None:
        self._table = table
        self._clock = clock
        self._retention = retention_seconds

    def _item(self, delivery_id: str, record: dict[str, Any], expires_at: float) -> Item:
        return {"pk": s(_pk(delivery_id)), "sk": s(_SK), "data": s(codec.dumps(record)), "expires_at": ttl(expires_at)}

    def _live(self, delivery_id: str) -> Item | None:
        # TTL deletes lazily (up to days late), so expiry is checked on read as well.
        item = self._table.get(_pk(delivery_id), _SK)
        if item is None or number_of(item, "expires_at") <= self._clock():
            return None
        return item

    def record_delivery(self, delivery_id: str, record: dict[str, Any]) -> None:
        now = self._clock()
        try:
            self._table.put(
                {**self._item(delivery_id, record, now + self._retention), "v": n(1)},
                "attribute_not_exists(pk) OR expires_at <= :now",
                values={":now": n(now)},
            )
        except ConditionFailed as failed:
            existing = data_of(failed.item) if failed.item else {}
            raise AlreadyExists(f"webhook delivery {delivery_id!r} already recorded", existing) from None

    def update_delivery(self, delivery_id: str, **fields: Any) -> dict[str, Any]:
        for _ in range(MAX_ATTEMPTS):
            current = self._live(delivery_id)
            if current is None:
                raise rules.delivery_not_found(delivery_id)
            record: dict[str, Any] = {**data_of(current), **fields}
            try:
                self._table.put_versioned(self._item(delivery_id, record, number_of(current, "expires_at")), current)
            except ConditionFailed:
                continue
            return record
        raise StoreUnavailable(f"webhook delivery {delivery_id!r} is being updated concurrently")

    def get_delivery(self, delivery_id: str) -> dict[str, Any] | None:
        item = self._live(delivery_id)
        return None if item is None else dict(data_of(item))
