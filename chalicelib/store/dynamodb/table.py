"""The one typed wrapper around the DynamoDB client.

Every call the store makes goes through :class:`Table`, which turns ``ClientError`` codes into
our errors: throttling and 5xx become ``StoreUnavailable`` (retryable), a missing table a
``StoreError`` naming ``ensure_tables``, an oversized item ``RecordTooLarge``. A failed
condition becomes :class:`ConditionFailed` carrying the old item, which each store turns into
its own error (``AlreadyExists``, ``ApprovalConflict``...) or a retry.

Items are kept in DynamoDB's wire format; records live as JSON text in ``data`` (see
:mod:`chalicelib.store.codec`), with a few top-level attributes for keys, indexes and conditions.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.errors import StoreError, StoreUnavailable
from chalicelib.store import codec
from chalicelib.store.errors import RecordTooLarge

Item = dict[str, Any]

_RETRYABLE = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalServerError",
        "ServiceUnavailable",
        "TransactionConflictException",
        "LimitExceededException",
    }
)

#: How many times an optimistic read-modify-write is retried. Every lost race means another
#: writer won, so the store as a whole always makes progress; only a hot key sees retries.
MAX_ATTEMPTS = 50


class ConditionFailed(Exception):
    def __init__(self, item: Item | None) -> None:
        super().__init__("conditional check failed")
        self.item = item


def s(value: str) -> dict[str, str]:
    return {"S": value}


def n(value: float) -> dict[str, str]:
    return {"N": repr(value) if isinstance(value, float) else str(value)}


def ttl(value: float) -> dict[str, str]:
    # DynamoDB TTL wants whole epoch seconds; round up so nothing vanishes early.
    return {"N": str(math.ceil(value))}


def data_of(item: Item) -> Any:
    return codec.loads(item["data"]["S"])


def number_of(item: Item, name: str, default: float = 0) -> float:
    attr = item.get(name)
    return float(attr["N"]) if attr else default


def version_of(item: Item | None) -> int:
    return 0 if item is None else int(number_of(item, "v"))


def translate(err: Exception, table: str) -> Exception:
    if isinstance(err, BotoCoreError):
        return StoreUnavailable(f"DynamoDB unreachable: {err}")
    assert isinstance(err, ClientError)
    code = err.response.get("Error", {}).get("Code", "")
    message = err.response.get("Error", {}).get("Message", str(err))
    if code in _RETRYABLE:
        return StoreUnavailable(f"DynamoDB {code} on {table}: {message}", code=code)
    if code == "ResourceNotFoundException":
        return StoreError(f"DynamoDB table {table} not found; create it with ensure_tables()", code=code)
    if code == "ValidationException" and "size" in message.lower():
        return RecordTooLarge(f"DynamoDB refused an item on {table}: {message}", code=code)
    return StoreError(f"DynamoDB {code} on {table}: {message}", code=code)


class Table:
    def __init__(self, client: Any, name: str) -> None:
        self.client = client
        self.name = name

    def _call(self, operation: str, **kwargs: Any) -> dict[str, Any]:
        try:
            result: dict[str, Any] = getattr(self.client, operation)(TableName=self.name, **kwargs)
        except ClientError as err:
            if err.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                raise ConditionFailed(err.response.get("Item")) from err
            raise translate(err, self.name) from err
        except BotoCoreError as err:
            raise translate(err, self.name) from err
        return result

    def get(self, pk: str, sk: str) -> Item | None:
        item: Item | None = self._call("get_item", Key={"pk": s(pk), "sk": s(sk)}, ConsistentRead=True).get("Item")
        return item

    def put(
        self,
        item: Item,
        condition: str | None = None,
        names: dict[str, str] | None = None,
        values: dict[str, Any] | None = None,
    ) -> None:
        kwargs: dict[str, Any] = {"Item": item}
        if condition:
            kwargs["ConditionExpression"] = condition
            kwargs["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
        if names:
            kwargs["ExpressionAttributeNames"] = names
        if values:
            kwargs["ExpressionAttributeValues"] = values
        self._call("put_item", **kwargs)

    def put_versioned(self, item: Item, expected: Item | None, extra_condition: str = "", **values: Any) -> None:
        """Write ``item`` only if the stored version is still that of ``expected`` (None: absent).

        Raises :class:`ConditionFailed` with the current item when someone wrote in between.
        """
        version = version_of(expected)
        item = {**item, "v": n(version + 1)}
        expression_values = dict(values)
        if expected is None:
            condition = "attribute_not_exists(pk)"
        else:
            condition = "v = :expected_v"
            expression_values[":expected_v"] = n(version)
        if extra_condition:
            condition = f"({condition}) AND ({extra_condition})"
        self.put(item, condition, {"#status": "status"} if "#status" in condition else None, expression_values or None)

    def add_counter(self, pk: str, sk: str, attribute: str = "seq") -> int:
        """Atomically add one to a counter item and return the new value (1 for a new counter)."""
        result = self._call(
            "update_item",
            Key={"pk": s(pk), "sk": s(sk)},
            UpdateExpression="ADD #c :one",
            ExpressionAttributeNames={"#c": attribute},
            ExpressionAttributeValues={":one": n(1)},
            ReturnValues="UPDATED_NEW",
        )
        return int(result["Attributes"][attribute]["N"])

    def delete(self, pk: str, sk: str) -> None:
        self._call("delete_item", Key={"pk": s(pk), "sk": s(sk)})

    def delete_many(self, keys: list[tuple[str, str]]) -> None:
        for start in range(0, len(keys), 25):
            requests = [{"DeleteRequest": {"Key": {"pk": s(pk), "sk": s(sk)}}} for pk, sk in keys[start : start + 25]]
            pending: dict[str, Any] = {self.name: requests}
            for _ in range(MAX_ATTEMPTS):
                try:
                    result = self.client.batch_write_item(RequestItems=pending)
                except (ClientError, BotoCoreError) as err:
                    raise translate(err, self.name) from err
                pending = result.get("UnprocessedItems") or {}
                if not pending:
                    break
            else:
                raise StoreUnavailable(f"DynamoDB kept throttling batch deletes on {self.name}")

    def query(
        self,
        key_condition: str,
        values: dict[str, Any],
        *,
        index: str | None = None,
        forward: bool = True,
        limit: int | None = None,
        projection: str | None = None,
    ) -> Iterator[Item]:
        """Items matching ``key_condition`` (``:``-values in ``values``), following pages."""
        kwargs: dict[str, Any] = {
            "KeyConditionExpression": key_condition,
            "ExpressionAttributeValues": values,
            "ScanIndexForward": forward,
        }
        if index:
            kwargs["IndexName"] = index
        else:
            kwargs["ConsistentRead"] = True
        if projection:
            kwargs["ProjectionExpression"] = projection
        returned = 0
        while True:
            if limit is not None:
                kwargs["Limit"] = limit - returned
            page = self._call("query", **kwargs)
            for item in page.get("Items", []):
                yield item
                returned += 1
            if "LastEvaluatedKey" not in page or (limit is not None and returned >= limit):
                return
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
