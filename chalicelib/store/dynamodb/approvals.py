from __future__ import annotations

from datetime import datetime

from chalicelib.errors import StoreUnavailable
from chalicelib.store import codec, rules
from chalicelib.store.dynamodb.table import MAX_ATTEMPTS, ConditionFailed, Item, Table, data_of, n, s, ttl
from chalicelib.store.records import ApprovalRecord
from chalicelib.store.timeutil import Clock

_SK = "APPROVAL"


def _pk(approval_id: str) -> str:
    return f"APPROVAL#{approval_id}"


def _message_key(channel: str, message_ts: str) -> str:
    return f"MESSAGE#{codec.composite(channel, message_ts)}"


def _item(a: ApprovalRecord) -> Item:
    item: Item = {
        "pk": s(_pk(a.approval_id)),
        "sk": s(_SK),
        "data": s(codec.dumps(a.to_dict())),
        "status": s(a.status),
        # ``deadline`` is when the approval stops being decidable. The TTL attribute comes later,
        # so a late Slack click is answered "expired" and the post-mortem still sees the decision.
        "deadline": n(a.expires_at),
        "expires_at": ttl(a.expires_at + rules.APPROVAL_RETENTION_SECONDS),
        "gsi2pk": s(f"APPROVAL_RUN#{a.run_id}"),
        "gsi2sk": s(f"{a.created_at}#{a.approval_id}"),
    }
    if a.channel and a.message_ts:
        item |= {"gsi3pk": s(_message_key(a.channel, a.message_ts)), "gsi3sk": s(a.created_at)}
    return item


def _approval(item: Item) -> ApprovalRecord:
    return ApprovalRecord.from_dict(data_of(item))


class DynamoApprovalStore:
    def __init__(self, table: Table, clock: Clock) -> None:
        self._table = table
        self._clock = clock

    def _load(self, approval_id: str) -> Item:
        item = self._table.get(_pk(approval_id), _SK)
        if item is None:
            raise rules.approval_not_found(approval_id)
        return item

    def put_approval(self, a: ApprovalRecord) -> ApprovalRecord:
        for _ in range(MAX_ATTEMPTS):
            current = self._table.get(_pk(a.approval_id), _SK)
            rules.check_replaceable(None if current is None else _approval(current), a)
            try:
                self._table.put_versioned(_item(a), current)
            except ConditionFailed:
                continue
            return a
        raise StoreUnavailable(f"approval {a.approval_id!r} is being written concurrently")

    def get_approval(self, approval_id: str) -> ApprovalRecord | None:
        item = self._table.get(_pk(approval_id), _SK)
        return None if item is None else _approval(item)

    def find_by_message(self, channel: str, message_ts: str) -> ApprovalRecord | None:
        items = self._table.query(
            "gsi3pk = :p", {":p": s(_message_key(channel, message_ts))}, index="gsi3", forward=False, limit=1
        )
        found = next(iter(items), None)
        return None if found is None else _approval(found)

    def find_pending_by_run(self, run_id: str) -> list[ApprovalRecord]:
        now = self._clock()
        items = self._table.query("gsi2pk = :p", {":p": s(f"APPROVAL_RUN#{run_id}")}, index="gsi2")
        found = [_approval(item) for item in items]
        return [a for a in found if a.status == "pending" and a.expires_at > now]

    def decide(self, approval_id: str, decision: str, by: str, at: datetime) -> ApprovalRecord:
        for _ in range(MAX_ATTEMPTS):
            current = self._load(approval_id)
            now = self._clock()
            record = _approval(current)
            rules.check_decidable(record, now)
            new = rules.decided(record, decision, by, at)
            try:
                self._table.put_versioned(
                    _item(new),
                    current,
                    "#status = :pending AND deadline > :now",
                    **{":pending": s("pending"), ":now": n(now)},
                )
            except ConditionFailed:
                continue  # someone wrote first: re-read, and check_decidable reports who
            return new
        raise StoreUnavailable(f"approval {approval_id!r} is being decided concurrently")

    def cancel(self, approval_id: str, reason: str) -> ApprovalRecord:
        for _ in range(MAX_ATTEMPTS):
            current = self._load(approval_id)
            record = _approval(current)
            new = rules.cancelled(record, reason)
            if new is None:
                return record
            try:
                self._table.put_versioned(_item(new), current)
            except ConditionFailed:
                continue
            return new
        raise StoreUnavailable(f"approval {approval_id!r} is being cancelled concurrently")
