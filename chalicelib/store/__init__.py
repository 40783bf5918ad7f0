"""Storage: small interfaces with SQLite (embedded default) and DynamoDB (cloud) backends.

Open one with :func:`open_store`; every record type and interface is importable from here.
Exports resolve on first use, so a process loads only the backend it opens (the webhook Lambda
never loads SQLite's, ``aofctl serve`` never DynamoDB's).
"""

from typing import TYPE_CHECKING

from chalicelib.lazy import lazy_exports

if TYPE_CHECKING:
    from chalicelib.store.dynamodb.tables import (
        TableDefinition,
        cloudformation_resources,
        dynamodb_table_definitions,
        ensure_tables,
    )
    from chalicelib.store.errors import ApprovalConflict, ArtifactTooLarge, InProgress, RecordTooLarge
    from chalicelib.store.facade import Store
    from chalicelib.store.factory import open_store
    from chalicelib.store.interfaces import (
        ApprovalStore,
        ArtifactStore,
        BudgetStore,
        DeliveryStore,
        IdempotencyStore,
        MemoryStore,
        RunStore,
    )
    from chalicelib.store.records import ApprovalRecord, IdempotencyRecord, RecordError, RunEvent, RunRecord, plan_hash
    from chalicelib.store.stops import stop_reason
    from chalicelib.store.timeutil import Clock, system_clock

__getattr__ = lazy_exports(
    __name__,
    {
        "TableDefinition": "chalicelib.store.dynamodb.tables",
        "cloudformation_resources": "chalicelib.store.dynamodb.tables",
        "dynamodb_table_definitions": "chalicelib.store.dynamodb.tables",
        "ensure_tables": "chalicelib.store.dynamodb.tables",
        "ApprovalConflict": "chalicelib.store.errors",
        "ArtifactTooLarge": "chalicelib.store.errors",
        "InProgress": "chalicelib.store.errors",
        "RecordTooLarge": "chalicelib.store.errors",
        "Store": "chalicelib.store.facade",
        "open_store": "chalicelib.store.factory",
        "ApprovalStore": "chalicelib.store.interfaces",
        "ArtifactStore": "chalicelib.store.interfaces",
        "BudgetStore": "chalicelib.store.interfaces",
        "DeliveryStore": "chalicelib.store.interfaces",
        "IdempotencyStore": "chalicelib.store.interfaces",
        "MemoryStore": "chalicelib.store.interfaces",
        "RunStore": "chalicelib.store.interfaces",
        "ApprovalRecord": "chalicelib.store.records",
        "IdempotencyRecord": "chalicelib.store.records",
        "RecordError": "chalicelib.store.records",
        "RunEvent": "chalicelib.store.records",
        "RunRecord": "chalicelib.store.records",
        "plan_hash": "chalicelib.store.records",
        "stop_reason": "chalicelib.store.stops",
        "Clock": "chalicelib.store.timeutil",
        "system_clock": "chalicelib.store.timeutil",
    },
)

__all__ = [
    "ApprovalConflict",
    "ApprovalRecord",
    "ApprovalStore",
    "ArtifactStore",
    "ArtifactTooLarge",
    "BudgetStore",
    "Clock",
    "DeliveryStore",
    "IdempotencyRecord",
    "IdempotencyStore",
    "InProgress",
    "MemoryStore",
    "RecordError",
    "RecordTooLarge",
    "RunEvent",
    "RunRecord",
    "RunStore",
    "Store",
    "TableDefinition",
    "cloudformation_resources",
    "dynamodb_table_definitions",
    "ensure_tables",
    "open_store",
    "plan_hash",
    "stop_reason",
    "system_clock",
]
