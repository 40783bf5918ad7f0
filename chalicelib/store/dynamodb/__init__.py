"""DynamoDB backend: one table, ``<prefix>-store``, with overloaded keys.

Why one table: every access is by a known key or one of three indexes, one table is one
CloudFormation resource and one IAM ARN pair, and TTL (attribute ``expires_at``) is set once.
Records are JSON text in ``data``; top-level attributes exist only for keys, indexes and
conditions. Partition key ``pk``, sort key ``sk``, all strings:

- webhook delivery: ``DELIVERY#<id>`` / ``DELIVERY``
- run: ``RUN#<run_id>`` / ``RUN``; gsi1 ``RUNS`` / ``<started_at>#<run_id>`` (all runs),
  gsi2 ``FLOW#<flow>`` / same, gsi3 ``INCIDENT#<incident_id>`` / same (sparse: only runs
  with an incident)
- run event: ``RUN#<run_id>`` / ``EVENT#<seq:012d>``; its counter ``RUN#<run_id>`` / ``EVENTSEQ``
- approval: ``APPROVAL#<id>`` / ``APPROVAL``; gsi2 ``APPROVAL_RUN#<run_id>`` /
  ``<created_at>#<id>``, gsi3 ``MESSAGE#["<channel>","<message_ts>"]`` / ``<created_at>``
  (sparse: only once the Slack message is known). ``deadline`` holds the record's
  ``expires_at`` for the decide condition; the TTL attribute is 30 days later, so a late
  click is told "expired" and the decision stays readable for the post-mortem
- memory message: ``MEMORY#["<agent>","<key>"]`` / ``MSG#<seq:012d>``; its counter ``SEQ``
- slots of a scope: ``SLOTS#<scope>`` / ``SLOTS`` (a map holder -> expiry)
- budget uses of a scope: ``BUDGET#<scope>`` / ``USES`` (a map key -> time of use)
- artifact: meta ``ARTIFACT#<run_id>`` / ``META#<name>``; chunks of at most 300 KB
  ``ARTIFACT#<run_id>`` / ``CHUNK#<digest>#<i>#<name>``
- idempotency key: ``IDEMPOTENCY#<key>`` / ``IDEMPOTENCY``

Free-text parts that share a key are JSON-encoded so ``("a#b", "c")`` and ``("a", "b#c")``
cannot collide. Timestamps in sort keys are the fixed-width ISO strings of :mod:`chalicelib.store.timeutil`, so
"newest first" is a reverse index query. gsi1 puts every run in one partition: fine at incident
volumes (a few runs a minute); shard it by month if that ever changes. Read-modify-write records
carry a version ``v`` and are written with ``v = :read`` (optimistic concurrency); conditional
creates use ``attribute_not_exists(pk)`` with ``ReturnValuesOnConditionCheckFailure=ALL_OLD``.
TTL deletes expired items lazily, so every read checks ``expires_at`` against the clock too.
"""

from __future__ import annotations

from typing import Any

from chalicelib.store.dynamodb.approvals import DynamoApprovalStore
from chalicelib.store.dynamodb.artifacts import DynamoArtifactStore
from chalicelib.store.dynamodb.budgets import DynamoBudgetStore
from chalicelib.store.dynamodb.deliveries import DynamoDeliveryStore
from chalicelib.store.dynamodb.idempotency import DynamoIdempotencyStore
from chalicelib.store.dynamodb.memory import DynamoMemoryStore
from chalicelib.store.dynamodb.runs import DynamoRunStore
from chalicelib.store.dynamodb.table import Table
from chalicelib.store.dynamodb.tables import (
    TableDefinition,
    cloudformation_resources,
    dynamodb_table_definitions,
    ensure_tables,
    table_name,
)
from chalicelib.store.facade import Store
from chalicelib.store.timeutil import Clock


def open_dynamodb(client: Any, prefix: str, clock: Clock) -> Store:
    """A store on the table ``<prefix>-store`` through ``client`` (a boto3 DynamoDB client)."""
    table = Table(client, table_name(prefix))
    return Store(
        backend="dynamodb",
        deliveries=DynamoDeliveryStore(table, clock),
        runs=DynamoRunStore(table),
        approvals=DynamoApprovalStore(table, clock),
        memory=DynamoMemoryStore(table),
        budgets=DynamoBudgetStore(table, clock),
        artifacts=DynamoArtifactStore(table),
        idempotency=DynamoIdempotencyStore(table, clock),
    )


__all__ = [
    "TableDefinition",
    "cloudformation_resources",
    "dynamodb_table_definitions",
    "ensure_tables",
    "open_dynamodb",
    "table_name",
]
