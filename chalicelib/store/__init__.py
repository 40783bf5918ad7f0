"""Storage: small interfaces with SQLite (embedded default) and DynamoDB (cloud) backends.

Open one with :func:`open_store`; every record type and interface is importable from here.
Importing this package loads neither backend's client: :func:`open_store` loads the one it
opens (the webhook Lambda never loads SQLite's, ``aofctl serve`` never DynamoDB's).
"""

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
