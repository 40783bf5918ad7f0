"""The DynamoDB table: its definition, creation for tests and tools, and CloudFormation."""

from __future__ import annotations

import re
from typing import Any, TypedDict

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.store.dynamodb.table import translate

TTL_ATTRIBUTE = "expires_at"
#: (index name, partition key, sort key); the key attributes are overloaded per entity.
INDEXES = (
    ("gsi1", "gsi1pk", "gsi1sk"),
    ("gsi2", "gsi2pk", "gsi2sk"),
    ("gsi3", "gsi3pk", "gsi3sk"),
)


class TableDefinition(TypedDict):
    """``create_table`` holds ``CreateTable`` kwargs; ``time_to_live`` the ``UpdateTimeToLive``
    specification (CreateTable cannot take it)."""

    create_table: dict[str, Any]
    time_to_live: dict[str, Any]


def table_name(prefix: str) -> str:
    return f"{prefix}-store"


def _key_schema(pk: str, sk: str) -> list[dict[str, str]]:
    return [{"AttributeName": pk, "KeyType": "HASH"}, {"AttributeName": sk, "KeyType": "RANGE"}]


def _attributes() -> list[dict[str, str]]:
    names = ["pk", "sk", *(a for _, pk, sk in INDEXES for a in (pk, sk))]
    return [{"AttributeName": name, "AttributeType": "S"} for name in names]


def _indexes() -> list[dict[str, Any]]:
    return [
        {"IndexName": name, "KeySchema": _key_schema(pk, sk), "Projection": {"ProjectionType": "ALL"}}
        for name, pk, sk in INDEXES
    ]


def dynamodb_table_definitions(prefix: str) -> list[TableDefinition]:
    return [
        {
            "create_table": {
                "TableName": table_name(prefix),
                "BillingMode": "PAY_PER_REQUEST",
                "AttributeDefinitions": _attributes(),
                "KeySchema": _key_schema("pk", "sk"),
                "GlobalSecondaryIndexes": _indexes(),
            },
            "time_to_live": {"AttributeName": TTL_ATTRIBUTE, "Enabled": True},
        }
    ]


def ensure_tables(client: Any, prefix: str) -> list[str]:
    """Create the missing tables, wait for them, enable TTL; return the names created."""
    created: list[str] = []
    for definition in dynamodb_table_definitions(prefix):
        name = definition["create_table"]["TableName"]
        try:
            try:
                client.describe_table(TableName=name)
            except ClientError as err:
                if err.response.get("Error", {}).get("Code") != "ResourceNotFoundException":
                    raise
                client.create_table(**definition["create_table"])
                created.append(name)
                client.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 2, "MaxAttempts": 60})
            ttl = client.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
            if ttl.get("TimeToLiveStatus") not in ("ENABLED", "ENABLING"):
                client.update_time_to_live(TableName=name, TimeToLiveSpecification=definition["time_to_live"])
        except (ClientError, BotoCoreError) as err:
            raise translate(err, name) from err
    return created


def _logical_id(name: str) -> str:
    words = re.split(r"[^A-Za-z0-9]+", name)
    return "".join(w[:1].upper() + w[1:] for w in words if w) + "Table"


def cloudformation_resources(prefix: str) -> dict[str, Any]:
    """``AWS::DynamoDB::Table`` resources for packaging (PAY_PER_REQUEST, TTL, PITR)."""
    resources: dict[str, Any] = {}
    for definition in dynamodb_table_definitions(prefix):
        create = definition["create_table"]
        resources[_logical_id(create["TableName"])] = {
            "Type": "AWS::DynamoDB::Table",
            # The runs' history outlives the stack: deleting or replacing it keeps the table.
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
            "Properties": {
                **create,
                "TimeToLiveSpecification": definition["time_to_live"],
                # Runs and approvals are the post-mortem's evidence: keep them recoverable.
                "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
            },
        }
    return resources
