from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.errors import AlreadyExists, StoreUnavailable
from chalicelib.store import codec, rules
from chalicelib.store.dynamodb.table import MAX_ATTEMPTS, ConditionFailed, Item, Table, data_of, s
from chalicelib.store.records import RunEvent, RunRecord
from chalicelib.store.timeutil import to_iso

_RUN_SK = "RUN"
_SEQ_SK = "EVENTSEQ"
ALL_RUNS = "RUNS"


def _pk(run_id: str) -> str:
    return f"RUN#{run_id}"


def _event_sk(seq: int) -> str:
    return f"EVENT#{seq:012d}"


def _item(run: RunRecord) -> Item:
    order = s(f"{run.started_at}#{run.run_id}")
    item: Item = {
        "pk": s(_pk(run.run_id)),
        "sk": s(_RUN_SK),
        "data": s(codec.dumps(run.to_dict())),
        "gsi1pk": s(ALL_RUNS),
        "gsi1sk": order,
        "gsi2pk": s(f"FLOW#{run.flow}"),
        "gsi2sk": order,
    }
    if run.incident_id is not None:
        # Sparse: runs without an incident stay out of the incident index.
        item |= {"gsi3pk": s(f"INCIDENT#{run.incident_id}"), "gsi3sk": order}
    return item


def _run(item: Item) -> RunRecord:
    return RunRecord.from_dict(data_of(item))


class DynamoRunStore:
    def __init__(self, table: Table) -> None:
        self._table = table

    def create_run(self, run: RunRecord) -> RunRecord:
        try:
            self._table.put_versioned(_item(run), None)
        except ConditionFailed as failed:
            existing = data_of(failed.item) if failed.item else {}
            raise AlreadyExists(f"run {run.run_id!r} already exists", existing) from None
        return run

    def update_run(self, run_id: str, **fields: Any) -> RunRecord:
        for _ in range(MAX_ATTEMPTS):
            current = self._table.get(_pk(run_id), _RUN_SK)
            if current is None:
                raise rules.run_not_found(run_id)
            run = rules.updated_run(_run(current), fields)
            try:
                self._table.put_versioned(_item(run), current)
            except ConditionFailed:
                continue
            return run
        raise StoreUnavailable(f"run {run_id!r} is being updated concurrently")

    def get_run(self, run_id: str) -> RunRecord | None:
        item = self._table.get(_pk(run_id), _RUN_SK)
        return None if item is None else _run(item)

    def list_runs(self, flow: str | None = None, since: datetime | None = None, limit: int = 100) -> list[RunRecord]:
        if limit <= 0:
            return []
        index, partition = ("gsi1", ALL_RUNS) if flow is None else ("gsi2", f"FLOW#{flow}")
        condition = f"{index}pk = :p"
        values: dict[str, Any] = {":p": s(partition)}
        if since is not None:
            condition += f" AND {index}sk >= :since"
            values[":since"] = s(to_iso(since))
        items = self._table.query(condition, values, index=index, forward=False, limit=limit)
        return [_run(item) for item in items]

    def append_event(self, run_id: str, event: RunEvent) -> RunEvent:
        # A counter item hands out sequence numbers atomically. A crash between the two writes
        # leaves a gap, never a duplicate: the order stays monotonic.
        stored = event.replace(seq=self._table.add_counter(_pk(run_id), _SEQ_SK))
        self._table.put(
            {"pk": s(_pk(run_id)), "sk": s(_event_sk(stored.seq)), "data": s(codec.dumps(stored.to_dict()))},
            "attribute_not_exists(pk)",
        )
        return stored

    def events(self, run_id: str) -> list[RunEvent]:
        items = self._table.query("pk = :p AND begins_with(sk, :e)", {":p": s(_pk(run_id)), ":e": s("EVENT#")})
        return [RunEvent.from_dict(data_of(item)) for item in items]

    def find_run_by_incident(self, incident_id: str) -> list[RunRecord]:
        items = self._table.query("gsi3pk = :p", {":p": s(f"INCIDENT#{incident_id}")}, index="gsi3", forward=False)
        return [_run(item) for item in items]
