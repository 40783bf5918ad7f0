from __future__ import annotations

from typing import Any

from chalicelib.store import codec, rules
from chalicelib.store.dynamodb.table import Table, data_of, s

_SEQ_SK = "SEQ"


def _pk(agent: str, key: str) -> str:
    return f"MEMORY#{codec.composite(agent, key)}"


def _message_sk(seq: int) -> str:
    return f"MSG#{seq:012d}"


class DynamoMemoryStore:
    """One item per message under the conversation's partition; a counter item orders them."""

    def __init__(self, table: Table) -> None:
        self._table = table

    def append(self, agent: str, key: str, message: dict[str, Any], max_messages: int) -> None:
        rules.check_positive(max_messages=max_messages)
        pk = _pk(agent, key)
        data = codec.dumps(message)
        seq = self._table.add_counter(pk, _SEQ_SK)
        self._table.put({"pk": s(pk), "sk": s(_message_sk(seq)), "data": s(data)})
        oldest_kept = seq - max_messages + 1
        if oldest_kept > 1:
            stale = self._table.query(
                "pk = :p AND sk BETWEEN :lo AND :hi",
                {":p": s(pk), ":lo": s(_message_sk(0)), ":hi": s(_message_sk(oldest_kept - 1))},
                projection="sk",
            )
            self._table.delete_many([(pk, item["sk"]["S"]) for item in stale])

    def recent(self, agent: str, key: str, limit: int) -> list[dict[str, Any]]:
        if limit <= 0:
            return []
        items = self._table.query(
            "pk = :p AND begins_with(sk, :m)",
            {":p": s(_pk(agent, key)), ":m": s("MSG#")},
            forward=False,
            limit=limit,
        )
        return [dict(data_of(item)) for item in reversed(list(items))]
